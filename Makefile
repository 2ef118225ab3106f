# Two commands for a fresh machine: `make run` (set up, index seeds/, open the chat UI)
# and `make test` (set up and run the whole suite). Everything installs into .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False

.PHONY: run test eval bench lint index install system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch first: the CPU wheel on disk; otherwise sentence-transformers pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --progress-bar off torch==2.13.0
	$(BIN)/pip install --progress-bar off -e '.[llm,test,dev]'
	touch $(STAMP)

install: $(STAMP)

system-deps:
	@bash .ci/system-deps

index: install
	$(BIN)/rag ingest

run: install index
	$(BIN)/rag serve

# pytest's exit code 5 means "no tests ran": that is a failure here, never a pass.
test: install system-deps
	$(BIN)/python -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests"; exit 1; fi; exit $$rc

# Regenerates the committed results: the whole set with both backends, one HTML report.
eval: install
	$(BIN)/rag eval --dataset eval/dev.jsonl --backend extractive --json eval/results/extractive.json
	$(BIN)/rag eval --dataset eval/dev.jsonl --backend llamacpp --json eval/results/llamacpp.json
	$(BIN)/rag eval --from eval/results/extractive.json eval/results/llamacpp.json \
	  --html eval/results/report.html

bench: install
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf .rag .pytest_cache .mypy_cache .ruff_cache
