"""Retrieval alone, per embedder: hit@5 / hit@8 / source hit@5 by language.

    python -m bench.embedders [--out bench/results/embedders.json]

For each dataset (dev and test over seeds/, every eval/<name>/test.jsonl over its corpus)
and each packaged embedder, a fresh index in a temp dir, then ``retrieve(k=8)`` for every
answerable question with evidence (no translation: the extractive backend's path). A passage
is relevant when it holds an evidence quote, as in ``rag eval``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import defaultdict
from pathlib import Path

from rag.config import Settings
from rag.eval.datasets import load_dataset
from rag.eval.metrics import matching_quotes, same_source
from rag.index import open_index
from rag.retrieve import retrieve
from rag.sync import sync_corpus

MODELS = ("all-MiniLM-L6-v2", "use-multilingual-v3")


def datasets() -> list[tuple[str, Path, Path]]:
    found = [
        ("dev", Path("eval/dev.jsonl"), Path("seeds")),
        ("test", Path("eval/test.jsonl"), Path("seeds")),
    ]
    for d in sorted(Path("eval").glob("*/test.jsonl")):
        found.append((d.parent.name, d, d.parent / "corpus"))
    return found


def measure(dataset: Path, corpus: Path, model: str, data: Path) -> dict[str, dict[str, float]]:
    s = Settings(data_dir=data, corpus_dir=corpus, embedding_model=model, llm_backend="extractive")
    sync_corpus(s)
    index = open_index(s)
    agg: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for it in load_dataset(dataset):
        if not it.answerable or not it.evidence:
            continue
        ps = retrieve(it.question, s, k=8, index=index)
        cov = matching_quotes([p.text for p in ps], it.evidence)
        src = any(same_source(p.source, x) for p in ps[:5] for x in it.sources)
        for key in (it.lang, "all"):
            a = agg[key]
            a[0] += 1
            a[1] += any(cov[:5])
            a[2] += any(cov[:8])
            a[3] += src
    return {
        k: {"n": n, "hit@5": h5 / n, "hit@8": h8 / n, "source_hit@5": sh / n}
        for k, (n, h5, h8, sh) in sorted(agg.items())
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="bench/results/embedders.json")
    args = ap.parse_args()
    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, dataset, corpus in datasets():
            for model in MODELS:
                got = measure(dataset, corpus, model, Path(tmp) / f"{label}-{model}")
                results.setdefault(label, {})[model] = got
                print(label, model, {k: round(v["hit@5"], 3) for k, v in got.items()})
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
