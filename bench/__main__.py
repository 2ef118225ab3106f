"""Benchmarks: ingest (cold and warm), answer latency per backend, LLM speed and memory.

    python -m bench                                  # extractive + llamacpp, 12 questions
    python -m bench --backends extractive --questions 30

Prints a table and writes bench/results/<name>.json and bench/results/README.md. Numbers
from one run are comparable with each other; the machine is shared, so compare ratios.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    i = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[i]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_ingest(settings_cls: Any, corpus: Path, work: Path) -> dict[str, float]:
    """Cold ingest of the corpus, then a warm (unchanged) re-sync, in process and by CLI."""
    from rag.sync import sync_corpus

    settings = settings_cls(data_dir=work / "data", corpus_dir=corpus)
    t = time.perf_counter()
    cold = sync_corpus(settings)
    cold_s = time.perf_counter() - t
    t = time.perf_counter()
    warm = sync_corpus(settings)
    warm_s = time.perf_counter() - t
    assert warm.chunks_written == 0
    env = {"RAG_DATA_DIR": str(work / "data"), "RAG_CORPUS_DIR": str(corpus), "PATH": ""}
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "rag.cli", "ingest", "--quiet"],
        env=env,
        check=True,
        capture_output=True,
    )
    cli_s = time.perf_counter() - t
    return {
        "files": len(cold.added),
        "chunks": cold.chunks_total,
        "cold_ingest_s": round(cold_s, 2),
        "warm_resync_s": round(warm_s, 3),
        "warm_cli_ingest_wall_s": round(cli_s, 2),
    }


def bench_answers(settings: Any, questions: list[str]) -> dict[str, Any]:
    """Time to first delta, total time, generated tokens/s, peak RSS and each stage's p50
    (``Answer.timings``: condense, retrieve, generate, relevance...) over the questions."""
    from rag.answer import stream_answer
    from rag.chunking import count_tokens
    from rag.types import Answer

    ttft, total, tps, abstained = [], [], [], 0
    texts = hashlib.sha256()  # the answers, to tell whether two variants answered the same
    stages: dict[str, list[float]] = {}  # Answer.timings per stage, milliseconds
    # Warm-up: loads the embedding model and the LLM so the numbers are per-question.
    for _ in stream_answer(questions[0], settings=settings):
        pass
    for q in questions:
        start = time.perf_counter()
        first = None
        text = ""
        final: Answer | None = None
        for item in stream_answer(q, settings=settings):
            if isinstance(item, Answer):
                final = item
            else:
                if first is None:
                    first = time.perf_counter() - start
                text += item
        elapsed = time.perf_counter() - start
        assert final is not None
        abstained += final.abstained
        texts.update(final.text.encode("utf-8") + b"\0")
        for stage, ms in final.timings.items():
            stages.setdefault(stage, []).append(ms)
        ttft.append(first if first is not None else elapsed)
        total.append(elapsed)
        # Decoding speed: tokens streamed after the first one, over the time they took.
        decode_s = (
            elapsed
            - (first if first is not None else elapsed)
            - final.timings.get("verify", 0) / 1000
        )
        if decode_s > 0.05 and count_tokens(text) > 1:
            tps.append((count_tokens(text) - 1) / decode_s)
    return {
        "questions": len(questions),
        "abstained": abstained,
        "ttft_p50_s": round(_pct(ttft, 50), 2),
        "ttft_p95_s": round(_pct(ttft, 95), 2),
        "total_p50_s": round(_pct(total, 50), 2),
        "total_p95_s": round(_pct(total, 95), 2),
        "decode_tokens_per_s_median": round(statistics.median(tps), 1) if tps else None,
        "peak_rss_mb": round(_rss_mb()),
        "stage_p50_ms": {s: round(_pct(v, 50)) for s, v in stages.items() if s != "total"},
        "answers_sha256": texts.hexdigest()[:16],
    }


def _with_states(settings: Any, questions: list[str], mb: int) -> dict[str, Any]:
    """``bench_answers`` with ``mb`` of kept system-prompt states on the shared model
    (rag.llm.prompt_states), then as before."""
    from rag.llm.llamacpp import LlamaCppBackend

    llm = LlamaCppBackend.from_settings(settings).load()
    before = llm.states_bytes
    llm.states_bytes = mb * 1024 * 1024
    llm.forget()
    try:
        return bench_answers(settings, questions)
    finally:
        llm.states_bytes = before


def _budgets(value: str) -> list[int]:
    """ "320,256" -> [320, 256]; anything else is a usage error, not a traceback."""
    try:
        budgets = [int(b) for b in value.split(",") if b.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected token counts like 320,256, not {value!r}"
        ) from None
    if any(b <= 0 for b in budgets):
        raise argparse.ArgumentTypeError("token budgets must be positive")
    return budgets


def _run_backend(
    backend: str,
    args: argparse.Namespace,
    work: Path,
    corpus: Path,
    questions: list[str],
    budgets: list[int],
    out: dict[str, Any],
) -> None:
    """The runs of one backend the options ask for, into ``out``."""
    from rag.config import Settings

    settings = Settings(data_dir=work / "data", corpus_dir=corpus, llm_backend=backend)
    if backend == "extractive" or not budgets:
        out[backend] = bench_answers(settings, questions)
        print(f"{backend}:", json.dumps(out[backend]))
        if backend == "llamacpp" and args.prompt_states is not None:
            name = f"llamacpp@states-{args.prompt_states}mb"
            out[name] = _with_states(settings, questions, args.prompt_states)
            print(f"{name}:", json.dumps(out[name]))
        if backend == "llamacpp" and args.unscaffolded:
            name = "llamacpp@unscaffolded"
            out[name] = bench_answers(replace(settings, llm_scaffold=False), questions)
            print(f"{name}:", json.dumps(out[name]))
        for n in args.threads if backend == "llamacpp" else []:
            name = f"llamacpp@threads-{n}"
            out[name] = bench_answers(replace(settings, llm_threads=n), questions)
            print(f"{name}:", json.dumps(out[name]))
        if backend == "llamacpp" and args.grammar_every_token:
            name = "llamacpp@grammar-every-token"
            slower = replace(settings, llm_greedy_first=False)
            out[name] = bench_answers(slower, questions)
            print(f"{name}:", json.dumps(out[name]))
        return
    for budget in budgets:  # same process, same warm model: comparable ratios
        name = backend if budget == settings.context_tokens else f"{backend}@{budget}"
        out[name] = bench_answers(replace(settings, context_tokens=budget), questions)
        print(f"{name}:", json.dumps(out[name]))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench")
    p.add_argument("--backends", default="extractive,llamacpp")
    p.add_argument("--questions", type=int, default=12)
    p.add_argument("--name", default="latest")
    p.add_argument(
        "--context-tokens",
        type=_budgets,
        default=[],
        help="comma-separated source budgets to compare for the LLM backends in one run, "
        "e.g. 320,256 (default: the settings' own)",
    )
    p.add_argument(
        "--prompt-states",
        type=int,
        default=None,
        metavar="MB",
        help="also run llamacpp with MB of kept system-prompt states (rag.llm.prompt_states; "
        "0 = none), after the run with the settings' own, in the same process: the ratio "
        "is what the states save",
    )
    p.add_argument(
        "--unscaffolded",
        action="store_true",
        help="also run llamacpp with the fixed parts of structured replies generated token "
        "by token (RAG_LLM_SCAFFOLD=0, rag.llm.scaffolded), in the same process",
    )
    p.add_argument(
        "--grammar-every-token",
        action="store_true",
        help="also run llamacpp with the grammar judging the whole vocabulary at every step "
        "(RAG_LLM_GREEDY_FIRST=0, rag.llm.greedy_grammar), in the same process",
    )
    p.add_argument(
        "--threads",
        type=_budgets,
        default=[],
        help="also run llamacpp with these fixed thread counts (RAG_LLM_THREADS), e.g. 1,2, "
        "after the run with the settings' own (threads chosen for the free cores), in the "
        "same process",
    )
    p.add_argument(
        "--busy-cores",
        type=int,
        default=0,
        metavar="N",
        help="keep N other processes spinning (one core each) during the llamacpp runs",
    )
    args = p.parse_args(argv)

    from rag.config import Settings
    from rag.eval.datasets import load_dataset

    items = [i for i in load_dataset(ROOT / "eval" / "dev.jsonl") if i.answerable and not i.history]
    questions = [i.question for i in items[: args.questions]]
    out: dict[str, Any] = {
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        corpus = work / "corpus"
        shutil.copytree(ROOT / "seeds", corpus)
        out["ingest"] = bench_ingest(Settings, corpus, work)
        print("ingest:", json.dumps(out["ingest"]))
        budgets = args.context_tokens
        if args.busy_cores:
            out["busy_cores"] = args.busy_cores
        for backend in args.backends.split(","):
            spinners = [
                subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for _ in range(args.busy_cores if backend == "llamacpp" else 0)
            ]
            try:
                _run_backend(backend, args, work, corpus, questions, budgets, out)
            finally:
                for spinner in spinners:
                    spinner.kill()
                    spinner.wait()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {RESULTS / (args.name + '.json')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
