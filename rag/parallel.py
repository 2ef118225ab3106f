"""Parallel texts: one document printed in several languages, linked paragraph by paragraph.

A resolution, a manual or a treaty is often published with its translations in one file.
Retrieval then finds the same paragraph three times, and a small context holds three
copies of one fact instead of three facts. At ingest, ``link`` records on each chunk the
chunks of the same document that translate it; at retrieval, ``collapse`` keeps one
passage per linked group and spends no context on its translations.

The rule, which needs no vocabulary of any language:
- two chunks of one document are translations when their languages differ and they cover
  the same part of a paragraph that carries the same label ("7", "9.2.1") in both
  languages;
- "the same part": a long paragraph is cut into several chunks, so each chunk covers a
  fraction of its labelled paragraph (the second third of §7, say); translations keep the
  order of sentences, so the fractions overlap by at least ``_MIN_OVERLAP`` of the shorter;
- a label that occurs a different number of times in the two languages (two numbered lists
  in one language, one in the other) links nothing: the pairing would be a guess.

    >>> [c.translations for c in link(doc, chunk_document(doc))]   # doctest: +SKIP
    [(), ('res-9b1…', 'res-77c…'), ...]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from rag.types import Chunk, Document, Passage

__all__ = ["collapse", "link"]

#: Share of the shorter of two fractional spans that must be shared to call them one text.
_MIN_OVERLAP = 0.2

#: (label, occurrence) -> the character span of that labelled paragraph, per language.
_Spans = dict[tuple[str, int], tuple[int, int]]


def link(doc: Document, chunks: Sequence[Chunk]) -> list[Chunk]:
    """``chunks`` of ``doc`` with ``Chunk.translations`` filled in (ids, document order)."""
    spans: dict[str, _Spans] = defaultdict(dict)
    seen: dict[tuple[str, str], int] = defaultdict(int)
    for p in doc.paragraphs:
        if p.label:
            n = seen[p.lang, p.label]
            seen[p.lang, p.label] += 1
            spans[p.lang][p.label, n] = (p.start, p.end)
    if len(spans) < 2:
        return list(chunks)
    parts = [_fractions(c, spans[c.lang]) if c.lang in spans else {} for c in chunks]
    linked: list[Chunk] = []
    for c, mine in zip(chunks, parts, strict=True):
        ids = [
            other.id
            for other, theirs in zip(chunks, parts, strict=True)
            if other.lang != c.lang
            and any(
                key in theirs
                and seen[c.lang, key[0]] == seen[other.lang, key[0]]
                and _shared(span, theirs[key])
                for key, span in mine.items()
            )
        ]
        linked.append(replace(c, translations=tuple(ids)) if ids else c)
    return linked


def _fractions(chunk: Chunk, spans: _Spans) -> dict[tuple[str, int], tuple[float, float]]:
    """The part of each labelled paragraph ``chunk`` covers, as fractions of its length."""
    out: dict[tuple[str, int], tuple[float, float]] = {}
    for key, (start, end) in spans.items():
        lo, hi = max(start, chunk.start), min(end, chunk.end)
        if key[0] in chunk.labels and hi > lo:
            out[key] = ((lo - start) / (end - start), (hi - start) / (end - start))
    return out


def _shared(a: tuple[float, float], b: tuple[float, float]) -> bool:
    overlap = min(a[1], b[1]) - max(a[0], b[0])
    return overlap > 0 and overlap >= _MIN_OVERLAP * min(a[1] - a[0], b[1] - b[0])


def collapse(passages: Sequence[Passage], lang: str | None = None) -> list[Passage]:
    """Passages, best first, without the translations of a passage already kept.

    A passage is dropped when it translates one that is kept; when it is in ``lang`` (the
    question's language) and the kept one is not, it takes that one's place instead. A
    long paragraph's chunks are linked to the parts of the translation they overlap, so a
    passage that only shares a paragraph label with a kept one stays.

        >>> [p.lang for p in collapse([en_p7, fr_p7, it_p7, en_p9], lang="it")]  # doctest: +SKIP
        ['it', 'en']
    """
    kept: list[Passage] = []
    for p in passages:
        slot = next((i for i, q in enumerate(kept) if p.chunk_id in q.translations), None)
        if slot is None:
            kept.append(p)
        elif lang and p.lang == lang and kept[slot].lang != lang:
            kept[slot] = p
    return kept
