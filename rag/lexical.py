"""BM25 over the indexed chunks (bm25s), for the exact words dense embeddings miss:
names, numbers, rare terms ("Pompidou Group", "twenty-fifth", "CETS No. 210").

Each chunk is tokenized with the stemmer of its own language (chunks are tagged en/fr/it);
the query, whose language is unknown, is stemmed with all three and the stems pooled.
The BM25 index is built from the chunks stored in Chroma and cached per process, keyed
by the manifest, so a sync that changes any file rebuilds it on the next query.

    bm25 = lexical_index(index)
    bm25.search("Pompidou Group", k=10)   # -> [(chunk_id, score), ...], best first
"""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import TYPE_CHECKING, Any

from rag.text import stem, stopwords, words

if TYPE_CHECKING:
    from rag.index import ChunkIndex

__all__ = ["LexicalIndex", "lexical_index", "query_terms", "terms"]

log = logging.getLogger(__name__)

_LANGS = ("en", "fr", "it")


def terms(text: str, lang: str) -> list[str]:
    """Stemmed tokens of a chunk, stop words removed, numbers kept."""
    stops = stopwords(lang)
    return [w if w.isdigit() else stem(w, lang) for w in words(text) if w not in stops]


def query_terms(text: str) -> list[str]:
    """Query tokens stemmed in every supported language (deduplicated, order kept)."""
    stops = frozenset().union(*(stopwords(lang) for lang in _LANGS))
    kept = [w for w in words(text) if w not in stops]
    out: dict[str, None] = {}
    for lang in _LANGS:
        out.update(dict.fromkeys(w if w.isdigit() else stem(w, lang) for w in kept))
    return list(out)


class LexicalIndex:
    """A bm25s index over chunk ids."""

    def __init__(self, ids: list[str], corpus: list[list[str]]) -> None:
        import bm25s

        # bm25s sets its logger to DEBUG on import; give the level back to the application.
        logging.getLogger("bm25s").setLevel(logging.NOTSET)
        self.ids = ids
        self._bm25 = bm25s.BM25()
        if ids:
            self._bm25.index(corpus, show_progress=False)

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """Up to ``k`` (chunk id, BM25 score) pairs, best first; zero scores dropped."""
        q = query_terms(query)
        if not self.ids or not q:
            return []
        k = min(k, len(self.ids))
        docs, scores = self._bm25.retrieve([q], k=k, show_progress=False)
        return [
            (self.ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0
        ]


_cache: dict[str, tuple[str, LexicalIndex]] = {}
_lock = threading.Lock()


def _signature(index: ChunkIndex) -> str:
    files: Any = index.files()
    h = hashlib.sha1(usedforsecurity=False)
    for source in sorted(files):
        h.update(f"{source}\0{files[source].sha256}\n".encode())
    return h.hexdigest()


def lexical_index(index: ChunkIndex) -> LexicalIndex:
    """The BM25 index for this Chroma index, rebuilt when the manifest changed."""
    sig = _signature(index)
    with _lock:
        cached = _cache.get(index.location)
        if cached and cached[0] == sig:
            return cached[1]
        passages = index.all_passages()
        built = LexicalIndex(
            [p.chunk_id for p in passages], [terms(p.text, p.lang) for p in passages]
        )
        _cache[index.location] = (sig, built)
        log.info("built BM25 over %d chunks", len(passages))
        return built
