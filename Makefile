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

.PHONY: llama-flags run test check eval eval-report bench lint index install system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# llama.cpp is compiled for the instruction sets this CPU reports, named one by one, never
# with -march=native: the native build of llama-cpp-python 0.3.36 segfaults on every
# multi-token prompt on CPUs that report AMX (seen 2026-12-02 on this project's machines),
# so AMX is never enabled. AVX-512 (F, CD, VL, DQ, BW; with VNNI, VBMI, BF16 when present)
# processed a 500-token prompt ~1.6x faster than AVX2 here (67 vs 40 tokens/s, a one-off
# probe, not a committed bench); generation p50 on the CI gate's Debian sample was the same
# (13.0 s, eval/results/gate/). Override with
# `make install LLAMA_CMAKE_ARGS=...`; pip caches the wheel it built, whatever the flags
# (`pip cache remove llama_cpp_python` forces a new build).
CPU_FLAGS := $(shell grep -m1 -o -w 'avx512[a-z_0-9]*' /proc/cpuinfo 2>/dev/null)
has = $(filter $(1),$(CPU_FLAGS))
AVX512 := $(if $(and $(call has,avx512f),$(call has,avx512cd),$(call has,avx512vl),$(call has,avx512dq),$(call has,avx512bw)),ON,OFF)
on_if = $(if $(and $(filter ON,$(AVX512)),$(call has,$(1))),ON,OFF)
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
  -DGGML_AVX512=$(AVX512) -DGGML_AVX512_VNNI=$(call on_if,avx512_vnni) \
  -DGGML_AVX512_VBMI=$(call on_if,avx512vbmi) -DGGML_AVX512_BF16=$(call on_if,avx512_bf16) \
  -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF

# torch first: the CPU wheel on disk; otherwise sentence-transformers pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --progress-bar off torch==2.13.0
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install --progress-bar off -e '.[llm,test,dev]'
	touch $(STAMP)

install: $(STAMP)

llama-flags:
	@echo $(LLAMA_CMAKE_ARGS)

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
	$(BIN)/python -m pytest -q -m "not llm and not e2e and not eval and not server and not slow"; rc=$$?; \
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
