"""One file added to a large BM25 index: the whole bm25s rebuild before segments, against
one new segment now (issue #16 item 4); and what a query costs with 1, 4 and 8 segments.

On a term store's chunk rows repeated ``REPEATS`` times (as ``bench.bm25_query_time``):

- ``old_rebuild_s``: what a sync that changed anything did before segments: bm25s over
  every chunk and every sentence, saved (``rag.index.bm25`` up to 2026-12-07);
- ``new_add_s``: ``rag.index.segment_set.update`` after ~20 chunks were put in a real
  term store holding the rest (the store's snapshot, the diff, one segment, the
  manifest), and ``reader_reload_s``: a reader loading the new set (one new segment);
- query p50 over ``bench.bm25_query_time.QUESTIONS`` x 20, chunk and sentence lists (what
  ``LexicalIndex.search`` costs), against bm25s's precomputed weights, with the rows
  split into 1, 4 and 8 equal segments (the worst case: every segment holds every
  term's postings); the top 10 must equal across them and bm25s's.

Writes ``bench/results/bm25-incremental.json``:

    PYTHONPATH=. python -m bench.bm25_incremental TERMS.sqlite3 [200]
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.bm25_query_time import QUESTIONS, Precomputed
from rag.index import segment_set
from rag.index.segments import Segment
from rag.index.terms import TermStore
from rag.lexical import LexicalIndex, query_terms

FILE_CHUNKS = 20


def old_rebuild(
    rows: list[tuple[str, str, str]], folder: Path
) -> tuple[float, dict[str, Precomputed]]:
    """bm25s over all chunks and sentences, saved, as the code before segments did."""
    started = time.perf_counter()
    chunks = Precomputed([r[1].split() for r in rows])
    sentences = Precomputed(
        [line.split() for _, _, s in rows for line in (s.split("\n") if s else ())]
    )
    chunks.model.save(str(folder / "chunks"), show_progress=False)
    sentences.model.save(str(folder / "sentences"), show_progress=False)
    return time.perf_counter() - started, {"chunks": chunks, "sentences": sentences}


def _bytes(path: Path) -> int:
    """A folder's or a file's size (a sqlite file's with its write-ahead log)."""
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def _p50_ms(fn: object) -> float:
    times = []
    for question in QUESTIONS * 20:
        started = time.perf_counter()
        fn(question)  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 3)


def main(path: str, repeat: int) -> None:
    with sqlite3.connect(path) as db:
        base = db.execute("SELECT id, terms, sentences FROM chunks ORDER BY id").fetchall()
    rows = sorted((f"{cid}#{k}", t, s) for k in range(repeat) for cid, t, s in base)
    extra = [(f"{cid}#added", t, s) for cid, t, s in base[:FILE_CHUNKS]]
    everything = sorted([*rows, *extra])
    result: dict[str, object] = {"chunks": len(rows), "file_chunks": len(extra)}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        old_s, models = old_rebuild(everything, root / "old")
        result["old_rebuild_s"] = round(old_s, 2)
        store = TermStore(root / "store.sqlite3")
        store.put(rows)
        started = time.perf_counter()
        segment_set.update(store, "bench")
        result["new_first_derive_s"] = round(time.perf_counter() - started, 2)
        store.put(extra)
        started = time.perf_counter()
        manifest, parts = segment_set.update(store, "bench")
        result["new_add_s"] = round(time.perf_counter() - started, 3)
        segment_set._loaded.clear()  # a reader that had the older segments only
        for name, _ in manifest.segments[:-1]:
            segment_set._loaded[str(segment_set.folder(store) / name)] = next(
                s for s, _ in parts if s.name == name
            )
        started = time.perf_counter()
        LexicalIndex.of_segments(segment_set.load(store, manifest))
        result["reader_reload_s"] = round(time.perf_counter() - started, 3)
        result["segments_after_add"] = len(manifest.segments)
        result["disk_bytes_per_chunk"] = {
            "bm25s": round(_bytes(root / "old") / len(everything)),
            "segments": round(_bytes(segment_set.folder(store)) / len(everything)),
            "term_store": round(_bytes(store.path) / len(everything)),
        }
        shutil.rmtree(root / "old", ignore_errors=True)

    queries = [query_terms(q) for q in QUESTIONS]
    reference = {k: [list(m.top(q, 10)[0]) for q in queries] for k, m in models.items()}
    result["query_bm25s_p50_ms"] = {
        k: _p50_ms(lambda question, m=m: m.top(query_terms(question), 10))
        for k, m in models.items()
    }
    for count in (1, 4, 8):
        size = -(-len(everything) // count)
        parts = [
            (Segment.of(everything[i : i + size]), np.ones(len(everything[i : i + size]), bool))
            for i in range(0, len(everything), size)
        ]
        index = LexicalIndex.of_segments(parts)
        assert index.sentences is not None
        for kind, lex in (("chunks", index), ("sentences", index.sentences)):
            same = all(
                list(lex._top(q, 10)[0]) == want
                for q, want in zip(queries, reference[kind], strict=True)
            )
            result[f"query_{count}_segments_{kind}_p50_ms"] = _p50_ms(
                lambda question, lex=lex: lex._top(query_terms(question), 10)
            )
            result[f"same_top10_{count}_segments_{kind}"] = same
    result["created"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    result["store"] = path
    print(json.dumps(result, indent=1))
    out = Path(__file__).parent / "results" / "bm25-incremental.json"
    out.write_text(json.dumps(result, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 200)
