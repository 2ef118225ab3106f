"""BM25 segments: the raw term frequencies of a batch of chunks and of their sentences.

bm25s bakes each (term, document) weight with the corpus's idf and average document
length, so one added file changed every weight and rebuilt the whole structure (~83 s
wall, ~14 s CPU at 108k chunks). A segment keeps counts instead, which adding or deleting
other chunks never changes: a sync that adds chunks writes one new segment of them, and
``rag.lexical`` weighs the query's terms at query time from statistics summed over the
segments (bench/bm25_query_time.py: the same top-10 and scores as bm25s, 1.15 vs 0.78 ms a
query at 99k chunks).

A segment is immutable once written; its ``Postings`` are term-major, as a CSR matrix of
terms x documents:

    Postings.of([["bridg", "rail", "bridg"], ["rail"]])
    terms   ["bridg", "rail"]
    indptr  [0, 1, 3]          term t's postings are docs[indptr[t]:indptr[t + 1]]
    docs    [0, 0, 1]
    tf      [2, 1, 1]
    lengths [3, 1]

On disk a segment is a folder (written aside, then renamed: a reader sees all of it or
nothing): ``ids.json`` (its chunk ids), ``chunks/`` and ``sentences/`` (each ``terms.json``
and ``indptr``, ``docs``, ``tf``, ``lengths`` as ``.npy``, memory-mapped when loaded) and
``sentences/owners.npy`` (the position in ``ids`` of each sentence's chunk). Merging
segments (``merge``) drops deleted chunks and rebuilds counts from counts: no tokenizing.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["Postings", "Segment", "merge"]

_ARRAYS = ("indptr", "docs", "tf", "lengths")


@dataclass(frozen=True)
class Postings:
    """Term-major term frequencies of some documents (see the module docstring)."""

    terms: list[str]
    indptr: np.ndarray
    docs: np.ndarray
    tf: np.ndarray
    lengths: np.ndarray
    vocab: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "vocab", {t: i for i, t in enumerate(self.terms)})

    @classmethod
    def of(cls, corpus: Sequence[Sequence[str]]) -> Postings:
        """Count a corpus of token lists (terms numbered in order of first use)."""
        vocab: dict[str, int] = {}
        lengths = np.fromiter((len(d) for d in corpus), dtype=np.int64, count=len(corpus))
        tids = np.fromiter(
            (vocab.setdefault(t, len(vocab)) for d in corpus for t in d),
            dtype=np.int64,
            count=int(lengths.sum()),
        )
        docs = np.repeat(np.arange(len(corpus), dtype=np.int64), lengths)
        return cls._counted(list(vocab), tids, docs, np.ones_like(tids), lengths)

    @classmethod
    def _counted(
        cls,
        terms: list[str],
        tids: np.ndarray,
        docs: np.ndarray,
        tf: np.ndarray,
        lengths: np.ndarray,
    ) -> Postings:
        """Sum (term, document, count) triples into postings; unused terms are dropped."""
        n = max(len(lengths), 1)
        keys, where = np.unique(tids * n + docs, return_inverse=True)
        counts = np.bincount(where.ravel(), weights=tf, minlength=len(keys)).astype(np.int32)
        term, doc = keys // n, keys % n
        used, term = np.unique(term, return_inverse=True)
        indptr = np.zeros(len(used) + 1, dtype=np.int64)
        np.cumsum(np.bincount(term.ravel(), minlength=len(used)), out=indptr[1:])
        return cls(
            [terms[int(t)] for t in used],
            indptr,
            doc.astype(np.int32),
            counts,
            np.asarray(lengths, dtype=np.int32),
        )

    def term_of_postings(self) -> np.ndarray:
        """The term of every posting (``indptr`` expanded)."""
        return np.repeat(np.arange(len(self.terms), dtype=np.int64), np.diff(self.indptr))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "terms.json").write_text(json.dumps(self.terms), encoding="utf-8")
        for name in _ARRAYS:
            np.save(folder / f"{name}.npy", getattr(self, name))

    @classmethod
    def load(cls, folder: Path) -> Postings:
        terms = json.loads((folder / "terms.json").read_text(encoding="utf-8"))
        # Plain views of the mapped files: slicing a np.memmap costs ~4 us more per
        # posting list (its subclass wrapping), paid for every query term and segment.
        arrays = [np.asarray(np.load(folder / f"{n}.npy", mmap_mode="r")) for n in _ARRAYS]
        return cls(terms, *arrays)


@dataclass(frozen=True)
class Segment:
    """Some chunks' term frequencies and their sentences', under a unique ``name``."""

    name: str
    ids: list[str]
    chunks: Postings
    sentences: Postings
    owners: np.ndarray  # the position in ``ids`` of each sentence's chunk

    @classmethod
    def of(cls, rows: Sequence[tuple[str, str, str]], name: str = "") -> Segment:
        """A segment from term-store rows: (id, terms, sentences)."""
        owners: list[int] = []
        corpus: list[list[str]] = []
        for i, (_, _, sentences) in enumerate(rows):
            for line in sentences.split("\n") if sentences else ():
                owners.append(i)
                corpus.append(line.split())
        return cls(
            name or new_name(),
            [r[0] for r in rows],
            Postings.of([r[1].split() for r in rows]),
            Postings.of(corpus),
            np.array(owners, dtype=np.int32),
        )

    def save(self, parent: Path) -> Path:
        """Write as ``parent/<name>``: aside first, then renamed (all or nothing)."""
        final = parent / self.name
        tmp = parent / f"tmp-{uuid.uuid4().hex[:8]}"
        try:
            tmp.mkdir(parents=True)
            (tmp / "ids.json").write_text(json.dumps(self.ids), encoding="utf-8")
            self.chunks.save(tmp / "chunks")
            self.sentences.save(tmp / "sentences")
            np.save(tmp / "sentences" / "owners.npy", self.owners)
            tmp.rename(final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return final

    @classmethod
    def load(cls, folder: Path) -> Segment:
        return cls(
            folder.name,
            json.loads((folder / "ids.json").read_text(encoding="utf-8")),
            Postings.load(folder / "chunks"),
            Postings.load(folder / "sentences"),
            np.asarray(np.load(folder / "sentences" / "owners.npy", mmap_mode="r")),
        )


def new_name() -> str:
    """A segment folder name no other writer picks."""
    return f"seg-{uuid.uuid4().hex[:12]}"


def merge(parts: Sequence[tuple[Segment, np.ndarray]]) -> Segment:
    """One segment of the chunks each ``(segment, keep)`` keeps (``keep``: a bool per
    chunk), in segment order: counts are summed from counts, nothing is tokenized."""
    ids: list[str] = []
    chunk_map: list[np.ndarray] = []  # per part: new chunk position of each, -1 when dropped
    for segment, keep in parts:
        new = np.full(len(segment.ids), -1, dtype=np.int64)
        kept = np.flatnonzero(keep)
        new[kept] = np.arange(len(ids), len(ids) + len(kept))
        ids.extend(segment.ids[int(i)] for i in kept)
        chunk_map.append(new)
    chunks = _merge_postings([s.chunks for s, _ in parts], chunk_map)
    sentence_map: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    start = 0
    for (segment, _), new in zip(parts, chunk_map, strict=True):
        owner = new[np.asarray(segment.owners, dtype=np.int64)]
        live = owner >= 0
        mapped = np.full(len(owner), -1, dtype=np.int64)
        mapped[live] = np.arange(start, start + int(live.sum()))
        start += int(live.sum())
        sentence_map.append(mapped)
        owners.append(owner[live])
    sentences = _merge_postings([s.sentences for s, _ in parts], sentence_map)
    owner_array = np.concatenate(owners) if owners else np.zeros(0, dtype=np.int64)
    return Segment(new_name(), ids, chunks, sentences, owner_array.astype(np.int32))


def _merge_postings(parts: Sequence[Postings], doc_map: Sequence[np.ndarray]) -> Postings:
    """The postings of several parts' kept documents (``doc_map``: new position or -1)."""
    vocab: dict[str, int] = {}
    tids, docs, tfs, lengths = [], [], [], []
    for postings, new in zip(parts, doc_map, strict=True):
        remap = np.fromiter(
            (vocab.setdefault(t, len(vocab)) for t in postings.terms),
            dtype=np.int64,
            count=len(postings.terms),
        )
        doc = new[np.asarray(postings.docs, dtype=np.int64)]
        live = doc >= 0
        tids.append(remap[postings.term_of_postings()[live]])
        docs.append(doc[live])
        tfs.append(np.asarray(postings.tf)[live])
        lengths.append(np.asarray(postings.lengths)[new >= 0])
    empty = np.zeros(0, dtype=np.int64)
    return Postings._counted(
        list(vocab),
        np.concatenate(tids) if tids else empty,
        np.concatenate(docs) if docs else empty,
        np.concatenate(tfs) if tfs else empty,
        np.concatenate(lengths) if lengths else empty,
    )
