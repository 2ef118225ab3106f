"""BM25 scored at query time from term frequencies, against bm25s's precomputed weights.

Groundwork for an incremental BM25 (issue #16): bm25s bakes each (term, document) weight
with the corpus's idf and average length, so one added file rebuilds the whole structure.
Keeping raw term frequencies instead (one term-major sparse matrix per segment, document
lengths beside it) and computing the weights of the query's terms at query time, from
statistics summed over the segments, makes an added file one small segment. This checks
that such scoring ranks and scores exactly as today's (bm25s "lucene": idf = ln(1 + (N -
df + 0.5) / (df + 0.5)), tf / (tf + k1 (1 - b + b dl / avgdl)), k1 1.5, b 0.75) and what it
costs per query, on a term store's chunk rows repeated each of ``REPEATS`` times, and
writes ``bench/results/bm25-query-time.json``:

    PYTHONPATH=. python -m bench.bm25_query_time .rag/corpora/manuals/lexical/<id>.sqlite3 1,200
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from rag.lexical import best_documents, query_terms

K1, B = 1.5, 0.75
QUESTIONS = [
    "Which section of the manual contains system administration commands?",
    "Does liblzma include the BCJ2 filter?",
    "Where does pip keep its cache on Linux?",
    "What timestamp does gzip write when the input is a pipe?",
    "xz threads block size",
]


class Precomputed:
    """bm25s's precomputed weights (what ``rag.lexical`` searched before segments), ranked
    as ``rag.lexical.LexicalIndex`` ranks: ``best_documents`` over the query's postings."""

    def __init__(self, corpus: list[list[str]]) -> None:
        import bm25s

        self.model = bm25s.BM25()
        self.model.index(corpus, show_progress=False)

    def top(self, query: list[str], n: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` best documents (indices, scores), best first, ties by document order."""
        m, vocab = self.model.scores, self.model.vocab_dict
        tids = [vocab[t] for t in query if t in vocab]
        if not tids:
            return np.array([], dtype=np.int64), np.array([])
        spans = [slice(m["indptr"][t], m["indptr"][t + 1]) for t in tids]
        docs = np.concatenate([m["indices"][s] for s in spans])
        weights = np.concatenate([m["data"][s] for s in spans])
        return best_documents(docs, weights, int(m["num_docs"]), n)


class TermFrequencies:
    """One segment's term-major term frequencies and document lengths; global statistics
    (here: of this one segment) give each query term's weights at query time."""

    def __init__(self, corpus: list[list[str]]) -> None:
        self.vocab: dict[str, int] = {}
        terms, docs, counts = [], [], []
        for i, toks in enumerate(corpus):
            ids = [self.vocab.setdefault(w, len(self.vocab)) for w in toks]
            u, c = np.unique(np.array(ids, dtype=np.int64), return_counts=True)
            terms.append(u)
            docs.append(np.full(len(u), i))
            counts.append(c)
        shape = (len(self.vocab), len(corpus))
        values = np.concatenate(counts).astype(np.float32)
        self.tf = sp.csr_matrix((values, (np.concatenate(terms), np.concatenate(docs))), shape)
        lengths = np.array([len(x) for x in corpus], dtype=np.float32)
        n, df = len(corpus), np.diff(self.tf.indptr)
        self.idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        self.norm = K1 * (1 - B + B * lengths / lengths.mean())

    def top(self, query: list[str], n: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` best documents (indices, scores), best first, ties by document order."""
        tf = self.tf
        tids = [self.vocab[w] for w in query if w in self.vocab]
        if not tids:
            return np.array([], dtype=np.int64), np.array([])
        spans = [slice(tf.indptr[t], tf.indptr[t + 1]) for t in tids]
        docs = np.concatenate([tf.indices[s] for s in spans])
        weights = np.concatenate(
            [
                self.idf[t] * tf.data[s] / (tf.data[s] + self.norm[tf.indices[s]])
                for t, s in zip(tids, spans, strict=True)
            ]
        )
        return best_documents(docs, weights, tf.shape[1], n)


def measure(path: str, repeat: int) -> dict[str, float | int]:
    """One size: the store's chunk rows repeated ``repeat`` times."""
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT id, terms FROM chunks ORDER BY id").fetchall()
    corpus = [terms.split() for _ in range(repeat) for _, terms in rows]
    started = time.perf_counter()
    reference = Precomputed(corpus)
    built_ref = time.perf_counter() - started
    started = time.perf_counter()
    segment = TermFrequencies(corpus)
    built_tf = time.perf_counter() - started
    same, t_ref, t_tf = 0, 0.0, 0.0
    for question in QUESTIONS * 20:
        q = query_terms(question)
        started = time.perf_counter()
        a = reference.top(q, 10)
        t_ref += time.perf_counter() - started
        started = time.perf_counter()
        b = segment.top(q, 10)
        t_tf += time.perf_counter() - started
        same += list(a[0]) == list(b[0]) and np.allclose(a[1], b[1], rtol=1e-4)
    runs = len(QUESTIONS) * 20
    row = {
        "documents": len(corpus),
        "vocabulary": len(segment.vocab),
        "build_bm25s_s": round(built_ref, 3),
        "build_term_frequencies_s": round(built_tf, 3),
        "same_top10_and_scores": int(same),
        "queries": runs,
        "query_precomputed_ms": round(t_ref / runs * 1000, 3),
        "query_at_query_time_ms": round(t_tf / runs * 1000, 3),
    }
    print(json.dumps(row))
    return row


def main(path: str, repeats: list[int]) -> None:
    rows = [measure(path, r) for r in repeats]
    out = Path(__file__).parent / "results" / "bm25-query-time.json"
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    out.write_text(json.dumps({"created": created, "store": path, "rows": rows}, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1], [int(r) for r in sys.argv[2].split(",")] if len(sys.argv) > 2 else [1])
