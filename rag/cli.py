"""The ``rag`` command: ingest, ask, chat, stats, serve, eval.

Every ``RAGError`` ends as one line on stderr and exit code 1; its traceback is printed
only with ``--verbose``.

    rag ingest seeds/            # incremental; --rebuild re-embeds everything
    rag ask "When does the first ferry leave?" --json
    rag stats --json
    rag serve --port 7860
    rag eval --dataset eval/dev.jsonl --backend extractive --json out.json
    rag eval --from eval/results/*.json --html eval/results/report.html   # with the gaps
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.config import BACKENDS, Settings
from rag.errors import ConfigError, RAGError

if TYPE_CHECKING:
    from rag.eval.judge import Judge
    from rag.llm.base import Backend

__all__ = ["main"]

log = logging.getLogger(__name__)


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "backend", None):
        overrides["llm_backend"] = args.backend
    if getattr(args, "k", None):
        overrides["top_k"] = args.k
    return Settings.from_env(**overrides)


def cmd_ingest(args: argparse.Namespace) -> int:
    from rag.sync import sync_corpus

    settings = _settings(args)
    corpus = Path(args.path) if args.path else settings.corpus_dir
    report = sync_corpus(settings, corpus=corpus, rebuild=args.rebuild, progress=not args.quiet)
    print(report.summary())
    return 0


def _format_sources(answer: Any) -> str:
    lines = []
    for c in answer.citations:
        where = f", {c.locator}" if c.locator else ""
        lines.append(f"  [{c.n}] {c.source}{where}\n      \u201c{_short(c.quote)}\u201d")
    return "\n".join(lines)


def _short(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def cmd_ask(args: argparse.Namespace) -> int:
    from rag.answer import answer, stream_answer
    from rag.questions import check_question
    from rag.types import Answer

    settings = _settings(args)
    question = check_question(" ".join(args.question), settings)
    if args.json:
        result = answer(question, settings=settings)
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return 0
    final: Answer | None = None
    streamed = False
    for item in stream_answer(question, settings=settings):
        if isinstance(item, Answer):
            final = item
        elif sys.stdout.isatty():
            print(item, end="", flush=True)
            streamed = True
    assert final is not None
    if streamed:
        print("\n")
    print(final.text)
    if final.citations:
        print("\nSources:")
        print(_format_sources(final))
    if args.explain:
        print("\nRoute:")
        print(explain(final))
    if args.verbose:
        print("\nTimings (ms): " + ", ".join(f"{k}={v:.0f}" for k, v in final.timings.items()))
    return 0


def explain(a: Any) -> str:
    """``Answer.trace`` as one line per step: what each step did and how long it took.

    condense  query='When was it adopted?' lang=en
    generate  backend=llamacpp structured=True claims=1 ms=4210
    removed   'It opened in 1871.' (unsupported)
    decide    abstained=False
    """
    lines = []
    for step in a.trace:
        name = step.get("step", "?")
        if name == "removed":
            lines.append(f"  {name:<9} {step.get('sentence')!r} ({step.get('reason')})")
            continue
        facts = " ".join(
            f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}"
            for k, v in step.items()
            if k not in ("step", "reply") and v is not None
        )
        lines.append(f"  {name:<9} {facts}")
    lines.append(f"  answered by {a.backend}")
    return "\n".join(lines)


def cmd_chat(args: argparse.Namespace) -> int:
    from rag.answer import answer
    from rag.questions import check_question
    from rag.types import Turn

    settings = _settings(args)
    history: list[Turn] = []
    print("Ask about your documents (empty line or Ctrl-D to quit).")
    while True:
        try:
            question = input("> ").strip()
        except EOFError:
            print()
            return 0
        if not question:
            return 0
        try:
            result = answer(check_question(question, settings), history, settings=settings)
        except RAGError as exc:
            print(f"error: {_one_line(exc)}", file=sys.stderr)
            continue
        print(result.text)
        if result.citations:
            print(_format_sources(result))
        history += [Turn("user", question), Turn("assistant", result.text)]


def cmd_stats(args: argparse.Namespace) -> int:
    from rag.index import open_index

    settings = _settings(args)
    index = open_index(settings)
    files = index.files()
    langs = sorted({lang for f in files.values() for lang in f.langs})
    stats = {
        "documents": len(files),
        "chunks": index.count(),
        "languages": langs,
        "embedding_model": index.embedder.name,
        "data_dir": str(Path(settings.data_dir).resolve()),
        "chroma_url": settings.chroma_url,
        "collection": settings.collection,
        "corpus_dir": str(settings.corpus_dir),
    }
    if args.json:
        print(json.dumps(stats, indent=2))
    else:
        for key, value in stats.items():
            print(f"{key:16} {', '.join(value) if isinstance(value, list) else value}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from ui.app import launch

    launch(_settings(args), host=args.host, port=args.port)
    return 0


def _judge(name: str, backend: Backend) -> Judge:
    """The citation judge ``--judge`` names. ``auto``: cross-lingual when the backend is
    an LLM (which then also translates the claims it judges), else lexical: extractive
    answers quote their sources in the sources' language."""
    from rag.eval.judge import LexicalJudge, backend_translator, cross_lingual_judge

    if name == "lexical":
        return LexicalJudge()
    if name == "auto" and not backend.uses_prompt:
        return LexicalJudge()
    if not backend.uses_prompt:
        raise ConfigError(
            "--judge cross-lingual translates claims with an LLM: use it with "
            "--backend llamacpp or openai."
        )
    return cross_lingual_judge(backend_translator(backend))


def cmd_eval(args: argparse.Namespace) -> int:
    from rag.eval.report import compare, load_result, write_html, write_json

    if args.compare:
        print(compare(load_result(args.compare[0]), load_result(args.compare[1])))
        return 0
    if args.results:
        from rag.eval.gap import gap_text

        if not args.html_out:
            raise ConfigError("--from needs --html OUT: it only builds a report from results.")
        results = [load_result(r) for r in args.results]
        write_html(results, args.html_out)
        print(gap_text(results))
        print(f"wrote {args.html_out}")
        return 0
    from rag.answer import answer
    from rag.eval.corpus import prepare_index, resolve_target
    from rag.eval.datasets import load_dataset, paraphrase_sample
    from rag.eval.gate import check_thresholds, load_thresholds, thresholds_for
    from rag.eval.runner import run_eval
    from rag.llm.base import get_backend, resolve_backend_name

    items = paraphrase_sample(load_dataset(args.dataset), args.paraphrase_every)
    items = items[: args.limit or None]
    from rag.llm.replay import Replay

    settings = _settings(args)
    backend = get_backend(settings)
    if args.llm_cache:
        backend = Replay(backend, Path(args.llm_cache), model=settings.llm_model)
    judge = _judge(args.judge, backend)
    target = resolve_target(args.dataset, settings, args.corpus)
    settings, synced = prepare_index(settings, target, progress=not args.quiet)
    for name, reason in synced.skipped:
        print(f"warning: skipped {name}: {reason}", file=sys.stderr)
    result = run_eval(
        items,
        answer_fn=lambda q, h: answer(q, h, settings=settings, backend=backend),
        judge=judge,
        k=args.k,
        backend=resolve_backend_name(settings),
        target=target,
        context_tokens=settings.context_tokens,
        progress=not args.quiet,
    )
    if isinstance(backend, Replay):  # its latencies are not the model's
        result["llm_cache"] = {"hits": backend.hits, "misses": backend.misses}
        print(f"LLM replay cache {args.llm_cache}: {backend.hits} replayed, {backend.misses} new")
    metrics = result["metrics"]
    print(
        f"{result['backend']} on {args.dataset} ({result['label']}, corpus {target.corpus}): "
        f"{result['n']} questions"
    )
    for name, value in metrics.items():
        if isinstance(value, float):
            print(f"  {name:32} {value:.3f}")
        elif isinstance(value, int) and name not in ("n", "errors"):
            print(f"  {name:32} {value}")
    if args.json_out:
        write_json(result, args.json_out)
    if args.html_out:
        write_html([result], args.html_out)
    if args.thresholds:
        gate = thresholds_for(
            load_thresholds(args.thresholds), result["label"], str(result["backend"])
        )
        failures = check_thresholds(result, gate)
        for failure in failures:
            print(f"below threshold: {failure}", file=sys.stderr)
        return 1 if failures else 0
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    p = argparse.ArgumentParser(prog="rag", description="Cited answers from your documents.")
    p.add_argument("-v", "--verbose", action="store_true", help="more logging and timings")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("ingest", help="index a folder (incremental)")
    s.add_argument("path", nargs="?", help="corpus folder (default: RAG_CORPUS_DIR or seeds/)")
    s.add_argument("--rebuild", action="store_true", help="drop the index and re-embed all")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    s.set_defaults(func=cmd_ingest)

    s = sub.add_parser("ask", help="answer one question")
    s.add_argument("question", nargs="+")
    s.add_argument("--json", action="store_true", help="print the whole Answer as JSON")
    s.add_argument("--backend", choices=BACKENDS, help="override RAG_LLM_BACKEND")
    s.add_argument("-k", type=int, dest="k", help="passages to retrieve")
    s.add_argument(
        "--explain", action="store_true", help="print the route the answer took (Answer.trace)"
    )
    s.set_defaults(func=cmd_ask)

    s = sub.add_parser("chat", help="interactive chat in the terminal")
    s.add_argument("--backend", choices=BACKENDS)
    s.set_defaults(func=cmd_chat)

    s = sub.add_parser("stats", help="what is in the index")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_stats)

    s = sub.add_parser("serve", help="the chat UI in the browser")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=int(os.environ.get("RAG_PORT", "7860")))
    s.add_argument("--backend", choices=BACKENDS)
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("eval", help="measure answer quality on a JSONL dataset")
    s.add_argument("--dataset", default="eval/dev.jsonl")
    s.add_argument(
        "--corpus",
        help="folder the dataset is answered over (default: the dataset's corpus/ folder "
        "when it has one, else RAG_CORPUS_DIR); another corpus gets its own index",
    )
    s.add_argument("--backend", choices=BACKENDS)
    s.add_argument("--k", type=int, default=5)
    s.add_argument("--limit", type=int)
    s.add_argument(
        "--paraphrase-every",
        type=int,
        default=1,
        metavar="N",
        help="answer the paraphrases of every Nth group only (all originals always)",
    )
    s.add_argument("--json", dest="json_out", help="write results JSON here")
    s.add_argument("--html", dest="html_out", help="write an HTML report here")
    s.add_argument("--compare", nargs=2, metavar=("A.json", "B.json"), help="print deltas")
    s.add_argument(
        "--from",
        dest="results",
        nargs="+",
        metavar="RESULT.json",
        help="with --html: one report from earlier results (e.g. one per backend)",
    )
    s.add_argument(
        "--judge",
        choices=("auto", "lexical", "cross-lingual"),
        default="auto",
        help="citation judge (auto: cross-lingual for LLM backends, lexical for extractive)",
    )
    s.add_argument(
        "--thresholds",
        help="JSON file of thresholds (flat, or per dataset label and backend); exit 1 below",
    )
    s.add_argument(
        "--llm-cache",
        metavar="DIR",
        help="replay identical LLM requests (temperature 0) from DIR and store new ones: "
        "a re-run pays only for prompts that changed; latencies of replayed calls are not "
        "the model's",
    )
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_eval)
    return p


def _one_line(exc: BaseException) -> str:
    """The message on one line: a wrapped library's error text can hold line breaks."""
    return " ".join(str(exc).split())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rag`` console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args))
    except RAGError as exc:
        if args.verbose:
            traceback.print_exc()
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
