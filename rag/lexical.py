"""BM25 over the indexed chunks (bm25s), for the exact words dense embeddings miss:
names, numbers, rare terms ("Pompidou Group", "twenty-fifth", "CETS No. 210").

Each chunk is tokenized with the stemmer of its own language (chunks are tagged en/fr/it);
the query, whose language is unknown, is stemmed with all three and the stems pooled.
The BM25 index is built from the chunks stored in Chroma and cached per process, keyed
by the manifest, so a sync that changes any file rebuilds it on the next query.

    bm25 = lexical_index(index)
    bm25.search("Pompidou Group", k=10)   # -> [(chunk_id, score), ...], best first
    bm25.sentences.search("Pompidou Group", k=10)   # chunks ranked by their best sentence

A whole chunk's BM25 dilutes one sentence's match among ~150 tokens of other text
("member of the UN Human Rights Council from 2022 to 2024" sat in a chunk ranked 12th
for "During which years was Kazakhstan a member of the UN Human Rights Council?"); the
sentence ranking finds it, and retrieval fuses both.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import re
import threading
from typing import TYPE_CHECKING, Any

from rag.text import stem, stopwords, words

if TYPE_CHECKING:
    from rag.index import ChunkIndex

__all__ = ["LexicalIndex", "lexical_index", "query_terms", "repair_names", "terms"]

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
    """A bm25s index over chunk ids; ``sentences``, when built, scores each chunk by its
    best sentence (several documents per id)."""

    sentences: LexicalIndex | None = None

    def __init__(self, ids: list[str], corpus: list[list[str]]) -> None:
        import bm25s

        # bm25s sets its logger to DEBUG on import; give the level back to the application.
        logging.getLogger("bm25s").setLevel(logging.NOTSET)
        self.ids = ids
        # Several documents per id (a sentence index): fetch more, keep each id once.
        self._overfetch = 4 if len(set(ids)) < len(ids) else 1
        self._bm25 = bm25s.BM25()
        if ids:
            self._bm25.index(corpus, show_progress=False)

    def knows(self, word: str) -> bool:
        """Whether the corpus uses ``word`` (in any language's stemmed form)."""
        vocab = self._bm25.vocab_dict if self.ids else {}
        w = word.lower()
        return w in vocab or any(stem(w, lang) in vocab for lang in _LANGS)

    def spelling(self, name: str) -> str | None:
        """The corpus term closest to ``name`` other than ``name`` itself, if one is as
        close as a spelling variant ("Kazakistan" -> "kazakhstan"), else None."""
        vocab = [t for t in (self._bm25.vocab_dict if self.ids else {}) if t != name.lower()]
        close = difflib.get_close_matches(name.lower(), vocab, n=1, cutoff=0.85)
        return close[0] if close else None

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """Up to ``k`` (id, BM25 score) pairs, best first; zero scores dropped. An id
        that several documents share (a sentence index) appears once, at its best."""
        q = query_terms(query)
        if not self.ids or not q:
            return []
        out: dict[str, float] = {}
        n = min(len(self.ids), k * self._overfetch)
        docs, scores = self._bm25.retrieve([q], k=n, show_progress=False)
        for d, score in zip(docs[0], scores[0], strict=True):
            if score > 0 and len(out) < k:
                out.setdefault(self.ids[int(d)], float(score))
        return list(out.items())


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
        from rag.chunking import clauses

        passages = index.all_passages()
        built = LexicalIndex(
            [p.chunk_id for p in passages], [terms(p.text, p.lang) for p in passages]
        )
        split = [
            (p.chunk_id, s, p.lang)
            for p in passages
            for s in clauses(p.text, p.lang)
            if len(s.split()) >= 4
        ]
        built.sentences = LexicalIndex(
            [cid for cid, _, _ in split], [terms(s, lang) for _, s, lang in split]
        )
        _cache[index.location] = (sig, built)
        log.info("built BM25 over %d chunks, %d sentences", len(passages), len(split))
        return built


_NAME = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][\w'’-]{3,}")
#: A translated name this close to a name of the question is a garbled copy of it.
_GARBLED = 0.6


def repair_names(original: str, translated: str, vocab: LexicalIndex) -> str:
    """Undo names the translation invented: a capitalized word the corpus never uses
    and the question does not contain, but which looks like a name of the question, is
    replaced by that name's corpus spelling (or the name as written).

    Measured: the 1.5B model translated "...in Kazakistan?" as "...in Pakistan?", and
    retrieval then missed every passage. ``vocab`` is the corpus's BM25 index.

        repair_names("Chi governa il Kazakistan?", "Who governs Pakistan?", vocab)
        -> "Who governs Kazakhstan?"
    """
    names = [m.group(0) for m in _NAME.finditer(original)]
    if not names:
        return translated

    def fix(m: re.Match[str]) -> str:
        word = m.group(0)
        if word in names or vocab.knows(word):
            return word
        ratio, name = max(
            (difflib.SequenceMatcher(None, word.lower(), n.lower()).ratio(), n) for n in names
        )
        if ratio < _GARBLED:
            return word
        spelled = vocab.spelling(name)
        return spelled.capitalize() if spelled else name

    return _NAME.sub(fix, translated)
