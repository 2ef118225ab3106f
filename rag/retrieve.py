"""Retrieval: question -> ranked, de-duplicated passages, through one entry point.

Hybrid search: dense (embedding cosine in Chroma), lexical (BM25 over chunks) and
sentence-lexical (chunks ranked by their best BM25 sentence) candidates are fused
by reciprocal rank (RRF, k=60): a chunk's fused score is the sum of 1/(60 + rank) over
the lists it appears in. RRF needs no score calibration between the two, and a chunk
found by both ranks first. ``Passage.score`` stays the dense cosine similarity, which
means something to a reader; the order is the fused one.

    passages = retrieve("How many wooden bridges?", settings)   # best first
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rag.index import ChunkIndex, open_index
from rag.types import Passage

if TYPE_CHECKING:
    from rag.config import Settings

__all__ = ["dedupe", "fuse", "retrieve"]

log = logging.getLogger(__name__)

#: Candidates per list for each result asked, so fusion and de-duplication still leave k.
_OVERFETCH = 4
#: ...and never fewer than this: a chunk ranked 30th densely but 2nd by BM25 must be seen,
#: and with both of its ranks, or fusion ranks it by one list alone. Measured 2026-12-07
#: (the read path's 8 candidates; evidence among them / in the 256-token context): 40 ->
#: 80 gave seeds dev 0.856 -> 0.873 / 0.729 -> 0.746 and manuals dev 0.853 -> 0.880 /
#: 0.760 -> 0.787; 160 ranked as 80 on both.
_MIN_CANDIDATES = 80
#: RRF's constant. Measured in session 7: 10 lifts the extractive eval's hit@5 from 0.868
#: to 0.921 (a chunk ranked 1st by both BM25 lists but 37th densely came 9th at 60), but
#: the local model lost as much as it won (hit@5 0.934 -> 0.961, correct unchanged at
#: 0.895, abstention recall 0.941 -> 0.882, citation precision 0.986 -> 0.959).
_RRF_K = 60


def fuse(*rankings: list[str]) -> list[str]:
    """Reciprocal-rank fusion of ranked id lists: ["a","b"], ["b","c"] -> ["b","a","c"]."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, cid in enumerate(ranking):
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (_RRF_K + rank + 1)
    return sorted(scores, key=lambda cid: -scores[cid])


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
    also: Sequence[str] = (),
    lang: str | None = None,
) -> list[Passage]:
    """The ``k`` (default ``settings.top_k``) best passages for ``query``, best first.

    ``also``: more wordings of the same question (an English translation of a French
    one); each adds its dense and BM25 lists to the fusion. ``Passage.score`` stays the
    cosine with ``query``. Of a paragraph and its translations in the same document only
    one is returned, in ``lang`` (the question's language) when retrieval found that one
    (``rag.parallel.collapse``).

    With ``settings.reranker_model`` set, the first ``reranker_candidates`` fused
    passages are put in the cross-encoder's order (``rag.rerank``) before de-duplication.

    Raises:
        IndexStoreError: the index cannot be read.
        ConfigError: the reranker cannot be loaded.
    """
    from dataclasses import replace

    from rag.lexical import lexical_index
    from rag.parallel import collapse
    from rag.rerank import get_reranker

    k = k or settings.top_k
    index = index or open_index(settings)
    queries = [query, *dict.fromkeys(q for q in also if q and q.strip() and q != query)]
    vecs = index.embedder.embed(queries)
    vector = vecs[0]
    pool = max(k * _OVERFETCH, _MIN_CANDIDATES)
    lex = lexical_index(index)
    lists: list[list[str]] = []
    first: dict[str, Passage] = {}  # scored by Chroma against ``query`` itself
    found: dict[str, Passage] = {}  # found by another wording: rescored below
    for i, (text, vec) in enumerate(zip(queries, vecs, strict=True)):
        dense = index.query(vec, pool)
        if i == 0:
            first = {p.chunk_id: p for p in dense}
        else:
            found.update({p.chunk_id: p for p in dense if p.chunk_id not in first})
        lists += [[p.chunk_id for p in dense], [cid for cid, _ in lex.search(text, pool)]]
        if lex.sentences is not None:
            lists.append([cid for cid, _ in lex.sentences.search(text, pool)])
    by_id = dict(first)
    rest = [
        cid for cid in dict.fromkeys(c for ranking in lists for c in ranking) if cid not in by_id
    ]
    if rest:
        vectors = index.vectors(rest)
        fetched = index.get([cid for cid in rest if cid not in found])
        for p in [*(found[cid] for cid in rest if cid in found), *fetched]:
            by_id[p.chunk_id] = replace(p, score=float(vectors[p.chunk_id] @ vector))
    order = fuse(*lists)
    ranked = collapse([by_id[cid] for cid in order if cid in by_id], lang)
    reranker = get_reranker(settings)
    if reranker is not None:
        ranked = reranker.rerank(query, ranked, max(settings.reranker_candidates, k))
    return dedupe(ranked, k)
