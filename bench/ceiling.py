"""The model's ceiling: how well the LLM answers when it is given the right passages.

For every answerable, single-turn question of ``eval/dev.jsonl``, the prompt holds only
the indexed chunks that contain the question's evidence quotes (at most 3, full text, in
the real prompt of ``rag.prompt.build_messages``): no retrieval, no gate, no compression,
no retry, no fallback. The reply is scored with the eval's fact matching, raw and after
citation verification (``rag.citations.verify``). Compare with ``correct`` of the full
pipeline (``eval/results/dev-<backend>.json``): what retrieval and the mechanisms around the
model cannot exceed only if the model itself is the limit.

    python -m bench.ceiling                      # local model, writes bench/results/ceiling.json
    python -m bench.ceiling --limit 10 --name smoke
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
MAX_PASSAGES = 3


def run(settings: Any, questions: list[Any]) -> dict[str, Any]:
    """Ask the backend each question over its gold chunks; return per-question rows and
    totals (overall and per language)."""
    from rag.citations import verify
    from rag.eval.metrics import contains, fact_matches
    from rag.generate import Generation
    from rag.index import open_index
    from rag.llm.base import get_backend

    backend = get_backend(settings)
    chunks = open_index(settings).all_passages()
    rows = []
    for item in questions:  # rag.eval.datasets.EvalItem
        gold = [p for p in chunks if any(contains(p.text, e) for e in item.evidence)]
        if not gold:
            rows.append({"id": item.id, "lang": item.lang, "skipped": "no gold chunk"})
            continue
        passages = gold[:MAX_PASSAGES]
        start = time.perf_counter()
        # The same structured generation as the read path, over the gold chunks only.
        gen = Generation(item.question, passages, backend, settings, lang=item.lang)
        for _ in gen.stream():
            pass
        reply = gen.text
        checked = verify(reply, passages, lang=item.lang)
        rows.append(
            {
                "id": item.id,
                "lang": item.lang,
                "passages": len(passages),
                "reply": reply,
                "abstained": gen.info.get("claims") == 0,
                "raw_correct": all(fact_matches(reply, item.facts)),
                "verified_correct": bool(checked.citations)
                and all(fact_matches(checked.text, item.facts)),
                "seconds": round(time.perf_counter() - start, 2),
            }
        )

    def totals(rs: list[dict[str, Any]]) -> dict[str, Any]:
        done = [r for r in rs if "reply" in r]
        n = len(done) or 1
        return {
            "questions": len(done),
            "raw_correct": round(sum(r["raw_correct"] for r in done) / n, 3),
            "verified_correct": round(sum(r["verified_correct"] for r in done) / n, 3),
            "abstained": sum(r["abstained"] for r in done),
        }

    langs = sorted({r["lang"] for r in rows})
    return {
        "backend": backend.name,
        "totals": totals(rows),
        "by_lang": {lang: totals([r for r in rows if r["lang"] == lang]) for lang in langs},
        "questions": rows,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.ceiling")
    p.add_argument("--dataset", default=str(ROOT / "eval" / "dev.jsonl"))
    p.add_argument("--limit", type=int, default=0, help="first N questions only")
    p.add_argument("--name", default="ceiling")
    args = p.parse_args(argv)

    from rag.answer import ensure_index
    from rag.config import Settings
    from rag.errors import RAGError
    from rag.eval.datasets import load_dataset

    try:
        settings = Settings.from_env()
        if settings.llm_backend in ("auto", "extractive"):  # the ceiling of an LLM
            settings = replace(settings, llm_backend="llamacpp")
        items = [q for q in load_dataset(args.dataset) if q.answerable and not q.history]
        if args.limit:
            items = items[: args.limit]
        ensure_index(settings)
        result = run(settings, items)
    except RAGError as exc:  # bad dataset, missing model, index trouble: say what to do
        print(f"error: {exc}", file=sys.stderr)
        return 1
    result["created"] = time.strftime("%Y-%m-%d %H:%M")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{args.name}.json"
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    t = result["totals"]
    print(f"backend {result['backend']}: {t['questions']} questions over their gold chunks")
    print(f"  raw correct       {t['raw_correct']:.3f}")
    print(f"  verified correct  {t['verified_correct']:.3f}")
    print(f"  abstained         {t['abstained']}")
    for lang, lt in result["by_lang"].items():
        print(f"  {lang}: raw {lt['raw_correct']:.3f}, verified {lt['verified_correct']:.3f}")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
