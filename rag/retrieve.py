"""Retrieval: question -> ranked, de-duplicated passages. The single entry point is
``retrieve()``; hybrid (dense + BM25) search will plug in behind it.

    passages = retrieve("How many political prisoners?", settings)   # best first
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from rag.index import ChunkIndex, open_index
from rag.types import Passage

if TYPE_CHECKING:
    from rag.config import Settings

__all__ = ["dedupe", "retrieve"]

log = logging.getLogger(__name__)

#: Fetch this many candidates per result asked, so de-duplication still leaves k.
_OVERFETCH = 3


def dedupe(passages: list[Passage], k: int) -> list[Passage]:
    """Drop passages that overlap an earlier (better) one from the same source.

    Chunks overlap by a sentence; two neighbours carry little new information. Example:
    chunks at characters 0-900 and 850-1700 of one file -> keep only the better one when
    more than half of the shorter one is shared.
    """
    kept: list[Passage] = []
    for p in passages:
        if any(
            q.source == p.source
            and min(p.end, q.end) - max(p.start, q.start)
            > 0.5 * min(p.end - p.start, q.end - q.start)
            for q in kept
        ):
            continue
        kept.append(p)
        if len(kept) == k:
            break
    return kept


def retrieve(
    query: str,
    settings: Settings,
    *,
    k: int | None = None,
    index: ChunkIndex | None = None,
) -> list[Passage]:
    """The ``k`` (default ``settings.top_k``) best passages for ``query``, best first.

    Raises:
        IndexStoreError: the index cannot be read.
    """
    k = k or settings.top_k
    index = index or open_index(settings)
    vector = index.embedder.embed([query])[0]
    candidates = index.query(vector, k * _OVERFETCH)
    return dedupe(candidates, k)
