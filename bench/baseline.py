"""Our retrieval against the tutorial pipeline, side by side in one run (issue #16 item 3).

    python -m bench.baseline [--out bench/results/baseline.json]

The tutorial pipeline is what most RAG guides build: each file's text in 1,000-character
chunks with 200 characters of overlap (cut at the last space), embedded with the same
MiniLM, dense top 5 by cosine. Plain-text files (.txt, .md, .json) are read as they are;
HTML and PDF go through our loader, since a tutorial would use a converter too. Ours is
``rag.retrieve`` (dense + BM25 over chunks and sentences, fused; normalized, label-keeping
chunks), at ``k=5`` like the tutorial and at the read path's 8 candidates.

For each dataset (dev and test over seeds/, every eval/<name>/test.jsonl over its
corpus), every answerable question with evidence quotes (paraphrases included, asked as
written: no translation), whitespace collapsed before matching:

- ``evidence@2k``: an evidence quote lies within the first 2,000 characters of the
  passages joined in rank order (what a small prompt holds);
- ``evidence@top1``: the first passage holds a quote;
- ``mrr@5``: 1 / rank of the first passage holding a quote, within 5;
- ``query_p50_ms`` / ``query_p95_ms``: one question's retrieval, embedding included; and
  ``dense_p50_ms``, the plain dense query of our index (embed + Chroma top 8), measured in
  the same loop, so ``ours_over_dense`` is a ratio from one run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from bench.embedders import datasets
from rag.config import Settings
from rag.embeddings import get_embedder
from rag.eval.datasets import load_dataset
from rag.eval.metrics import matching_quotes
from rag.index import open_index
from rag.ingest.loaders import discover, load_document
from rag.retrieve import retrieve
from rag.sync import sync_corpus

CHUNK_CHARS = 1000
OVERLAP_CHARS = 200
TUTORIAL_K = 5
#: What a small prompt holds: the 256-token context is about 1,000-1,200 characters.
PREFIX_CHARS = 2000
_PLAIN = {".txt", ".md", ".json"}


def tutorial_chunks(text: str) -> list[str]:
    """1,000-character windows of whole words, about 200 shared with the previous one.

    >>> [len(c) for c in tutorial_chunks("ab " * 700)]
    [998, 998, 497]
    """
    out: list[str] = []
    start = 0
    while start < len(text):
        end = min(start + CHUNK_CHARS, len(text))
        if end < len(text) and " " in text[start + OVERLAP_CHARS : end]:
            end = text.rindex(" ", start + OVERLAP_CHARS, end)
        piece = text[start:end].strip()
        if piece:
            out.append(piece)
        if end >= len(text):
            break
        # The next window starts at a word boundary about 200 characters back.
        space = text.find(" ", end - OVERLAP_CHARS, end)
        start = max(space + 1 if space >= 0 else end - OVERLAP_CHARS, start + 1)
    return out


def _holds(texts: list[str], quotes: list[str]) -> list[bool]:
    """Whether each text holds a quote (``rag.eval``'s matching, whitespace collapsed:
    the tutorial's raw chunks keep the files' line breaks)."""
    flat = [" ".join(t.split()) for t in texts]
    return [bool(m) for m in matching_quotes(flat, [" ".join(q.split()) for q in quotes])]


def _scores(texts: list[str], quotes: list[str]) -> dict[str, float]:
    held = _holds(texts, quotes)
    prefix = " ".join(texts)[:PREFIX_CHARS]
    first = next((r for r, h in enumerate(held[:5], 1) if h), None)
    return {
        "evidence@2k": float(any(_holds([prefix], quotes))),
        "evidence@top1": float(bool(held[:1] and held[0])),
        "mrr@5": 1.0 / first if first else 0.0,
    }


def _tutorial_index(corpus: Path, embedder: Any) -> tuple[list[str], np.ndarray]:
    chunks: list[str] = []
    for path in discover(corpus):
        if path.suffix.lower() in _PLAIN:
            text = path.read_text(encoding="utf-8", errors="replace")
        else:
            text = load_document(path, corpus).text
        chunks += tutorial_chunks(text)
    return chunks, embedder.embed(chunks)


def measure(dataset: Path, corpus: Path, data: Path) -> dict[str, Any]:
    s = Settings(data_dir=data, corpus_dir=corpus, llm_backend="extractive")
    sync_corpus(s)
    index = open_index(s)
    embedder = get_embedder(s)
    chunks, vectors = _tutorial_index(corpus, embedder)
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    times: dict[str, list[float]] = defaultdict(list)
    n = 0
    for it in load_dataset(dataset):
        if not it.answerable or not it.evidence:
            continue
        n += 1
        t0 = time.perf_counter()
        q = embedder.embed([it.question])[0]
        top = np.argsort(-(vectors @ q))[:TUTORIAL_K]
        t1 = time.perf_counter()
        tutorial = [chunks[i] for i in top]
        t2 = time.perf_counter()
        ours8 = retrieve(it.question, s, k=s.context_candidates, index=index, lang=it.lang)
        t3 = time.perf_counter()
        index.query(embedder.embed([it.question])[0], s.context_candidates)
        t4 = time.perf_counter()
        times["tutorial"].append((t1 - t0) * 1000)
        times["ours"].append((t3 - t2) * 1000)
        times["dense"].append((t4 - t3) * 1000)
        runs = {
            "tutorial": tutorial,
            "ours@5": [p.text for p in ours8[:5]],
            "ours@8": [p.text for p in ours8],
        }
        for name, texts in runs.items():
            for metric, value in _scores(texts, list(it.evidence)).items():
                sums[name][metric] += value
    out: dict[str, Any] = {"n": n, "tutorial_chunks": len(chunks)}
    for name, metrics in sums.items():
        out[name] = {m: round(v / n, 3) for m, v in metrics.items()}
    for name in ("tutorial", "ours", "dense"):
        ms = sorted(times[name])
        out[f"{name}_query_p50_ms"] = round(statistics.median(ms), 1)
        out[f"{name}_query_p95_ms"] = round(ms[int(0.95 * (len(ms) - 1))], 1)
    out["ours_over_dense"] = round(out["ours_query_p50_ms"] / out["dense_query_p50_ms"], 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="bench/results/baseline.json")
    args = ap.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, dataset, corpus in datasets():
            results[label] = got = measure(dataset, corpus, Path(tmp) / label)
            print(label, json.dumps(got))
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
