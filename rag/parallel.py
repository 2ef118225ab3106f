"""Parallel texts: one document printed in several languages, linked paragraph by paragraph.

A bylaw, a manual or a treaty is often published with its translations in one file.
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
    [(), ('doc-9b1…', 'doc-77c…'), ...]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from rag.types import Chunk, Document, Passage

__all__ = ["collapse", "link"]

#: Share of the shorter of two fractional spans that must be shared to call them one text.
_MIN_OVERLAP = 0.2


def link(doc: Document, chunks: Sequence[Chunk]) -> list[Chunk]:
    """``chunks`` of ``doc`` with ``Chunk.translations`` filled in (ids, document order).

    Linear in the chunks' labels: each chunk is compared only with the chunks that cover
    a paragraph with one of its labels.
    """
    spans: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)  # (lang, label)
    for p in doc.paragraphs:
        if p.label:
            spans[p.lang, p.label].append((p.start, p.end))
    if len({lang for lang, _ in spans}) < 2:
        return list(chunks)
    # (label, occurrence) -> (chunk index, language, covered fraction of that paragraph)
    covers: dict[tuple[str, int], list[tuple[int, str, tuple[float, float]]]] = defaultdict(list)
    for i, c in enumerate(chunks):
        for label in c.labels:
            for n, (start, end) in enumerate(spans.get((c.lang, label), [])):
                lo, hi = max(start, c.start), min(end, c.end)
                if hi > lo:
                    part = ((lo - start) / (end - start), (hi - start) / (end - start))
                    covers[label, n].append((i, c.lang, part))
    links: dict[int, set[int]] = defaultdict(set)
    for (label, _), found in covers.items():
        for i, lang, part in found:
            for j, other, theirs in found:
                if (
                    other != lang
                    and len(spans[lang, label]) == len(spans[other, label])
                    and _shared(part, theirs)
                ):
                    links[i].add(j)
    return [
        replace(c, translations=tuple(chunks[j].id for j in sorted(links[i])))
        if links.get(i)
        else c
        for i, c in enumerate(chunks)
    ]


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
