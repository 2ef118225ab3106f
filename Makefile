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

.PHONY: run test check eval eval-report bench lint index install system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# llama.cpp is compiled for a fixed x86-64 level (AVX2/FMA/F16C), not for the build machine's
# own CPU: the -march=native build of llama-cpp-python 0.3.36 segfaults on every multi-token
# prompt on an AVX-512-FP16 CPU (seen 2026-12-02 on this project's machines). Override with
# `make install LLAMA_CMAKE_ARGS=...`; ignored on other architectures' builds.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF

# torch first: the CPU wheel on disk; otherwise sentence-transformers pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --progress-bar off torch==2.13.0
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install --progress-bar off -e '.[llm,test,dev]'
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

# The fast lane while working: unit tests, no LLM, no browser, no server, no eval gate.
check: install
	$(BIN)/python -m pytest -q -m "not llm and not e2e and not eval and not server"; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests"; exit 1; fi; exit $$rc

# Regenerates the committed results: every backend on dev and test (seeds/) and on each second
# corpus (eval/<name>/test.jsonl over eval/<name>/corpus/; none yet is fine), one result per
# run in eval/results/<label>-<backend>.json, then one report with the generalization gap.
# `make eval EVAL_BACKENDS=extractive` reruns one backend; the report keeps the other's results.
EVAL_BACKENDS ?= extractive llamacpp
EVAL_LABELS   := dev test $(patsubst eval/%/test.jsonl,%,$(wildcard eval/*/test.jsonl))

eval: install
	@set -e; for b in $(EVAL_BACKENDS); do for l in $(EVAL_LABELS); do \
	  case $$l in dev|test) d=eval/$$l.jsonl;; *) d=eval/$$l/test.jsonl;; esac; \
	  echo "rag eval --dataset $$d --backend $$b"; \
	  $(BIN)/rag eval -q --dataset $$d --backend $$b --json eval/results/$$l-$$b.json; \
	done; done
	$(MAKE) --no-print-directory eval-report

eval-report: install
	@set -e; files=; for b in extractive llamacpp; do for l in $(EVAL_LABELS); do \
	  f=eval/results/$$l-$$b.json; if [ -f $$f ]; then files="$$files $$f"; fi; \
	done; done; \
	$(BIN)/rag eval --from $$files --html eval/results/report.html

bench: install
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf .rag .pytest_cache .mypy_cache .ruff_cache
