"""BM25 over the indexed chunks (bm25s), for the exact words dense embeddings miss:
names, numbers, rare terms ("Harbour Authority", "twenty-fifth", "Regulation No. 417").

Each chunk is tokenized with the stemmer of its own language (chunks are tagged en/fr/it);
the query, whose language is unknown, is stemmed with all of them and the stems pooled.
A chunk is tokenized once, when it is written (``chunk_terms``; the terms are kept by
``rag.index.terms``), and the BM25 scoring structure is built from the stored terms,
saved next to them and loaded by every process that reads the index
(``rag.index.bm25``): a sync that changes nothing rebuilds nothing.

    bm25 = lexical_index(index)
    bm25.search("Harbour Authority", k=10)   # -> [(chunk_id, score), ...], best first
    bm25.sentences.search("Harbour Authority", k=10)   # chunks ranked by their best sentence

A whole chunk's BM25 dilutes one sentence's match among ~150 tokens of other text
("member of the regional water board from 2019 to 2021" sat in a chunk ranked 12th for
"During which years was Veloria a member of the regional water board?"); the sentence
ranking finds it, and retrieval fuses both.
"""

from __future__ import annotations

import difflib
import json
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.text import stem, stopwords, words
from rag.text.languages import supported

if TYPE_CHECKING:
    from rag.index import ChunkIndex

__all__ = [
    "LexicalIndex",
    "best_documents",
    "chunk_terms",
    "lexical_index",
    "query_terms",
    "repair_names",
    "terms",
    "terms_signature",
]

log = logging.getLogger(__name__)

#: Bump when a code change alters the terms of a chunk (``words``, ``clauses``); stop
#: words and stemmers are in the signature already.
_TERMS_CODE = "1"
#: Sentences shorter than this many words get no entry of their own in the sentence index.
_MIN_SENTENCE_WORDS = 4
#: pysbd (sentence splitting, here and in rag.chunking) compiles ~1,800 distinct regular
#: expressions over en/fr/it text; Python's ``re`` keeps 512, so it recompiled them on
#: every chunk. With room for them ``chunk_terms`` ran 2x faster (0.67 s -> 0.35 s for 150
#: paragraphs, measured on the bench.scale corpus).
_RE_CACHE = 4096
if getattr(re, "_MAXCACHE", _RE_CACHE) < _RE_CACHE:
    setattr(re, "_MAXCACHE", _RE_CACHE)  # noqa: B010 (a private constant of the stdlib)


def terms_signature() -> str:
    """A digest of what a chunk's terms depend on: every language's stop words and
    stemmer, the sentence-length floor and ``_TERMS_CODE``. A term store written under
    another signature is tokenized again (``rag.index.bm25``): an edited stop list in a
    language file then reaches indexes built before it."""
    import hashlib

    from rag.text.languages import language

    parts = [_TERMS_CODE, str(_MIN_SENTENCE_WORDS)]
    for code in supported():
        parts += [code, language(code).stemmer, " ".join(sorted(stopwords(code)))]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16]


def terms(text: str, lang: str) -> list[str]:
    """Stemmed tokens of a chunk, stop words removed, numbers kept."""
    stops = stopwords(lang)
    return [w if w.isdigit() else stem(w, lang) for w in words(text) if w not in stops]


def chunk_terms(text: str, lang: str) -> tuple[str, str]:
    """What the term store keeps of a chunk: its terms joined by spaces, and its
    sentences' terms, one sentence a line.

    >>> chunk_terms("The bridges were closed. Two ferries now run every hour.", "en")[1]
    'bridg were close\\ntwo ferri now run everi hour'
    """
    from rag.chunking import clauses

    sentences = [
        " ".join(terms(s, lang))
        for s in clauses(text, lang)
        if len(s.split()) >= _MIN_SENTENCE_WORDS
    ]
    return " ".join(terms(text, lang)), "\n".join(sentences)


def query_terms(text: str) -> list[str]:
    """Query tokens stemmed in every supported language (deduplicated, order kept)."""
    langs = supported()
    stops = frozenset().union(*(stopwords(lang) for lang in langs))
    kept = [w for w in words(text) if w not in stops]
    out: dict[str, None] = {}
    for lang in langs:
        out.update(dict.fromkeys(w if w.isdigit() else stem(w, lang) for w in kept))
    return list(out)


class LexicalIndex:
    """A bm25s index over chunk ids; ``sentences``, when built, scores each chunk by its
    best sentence (several documents per id)."""

    sentences: LexicalIndex | None = None

    def __init__(self, ids: list[str], corpus: list[list[str]] | None, bm25: Any = None) -> None:
        import bm25s

        # bm25s sets its logger to DEBUG on import; give the level back to the application.
        logging.getLogger("bm25s").setLevel(logging.NOTSET)
        self.ids = ids
        # Several documents per id (a sentence index): fetch more, keep each id once.
        self._overfetch = 4 if len(set(ids)) < len(ids) else 1
        self._bm25 = bm25 if bm25 is not None else bm25s.BM25()
        if ids and bm25 is None:
            self._bm25.index(corpus, show_progress=False)

    def knows(self, word: str) -> bool:
        """Whether the corpus uses ``word`` (in any language's stemmed form)."""
        vocab = self._bm25.vocab_dict if self.ids else {}
        w = word.lower()
        return w in vocab or any(stem(w, lang) in vocab for lang in supported())

    def spelling(self, name: str) -> str | None:
        """The corpus term closest to ``name`` other than ``name`` itself, if one is as
        close as a spelling variant ("Valdorria" -> "valdoria"), else None."""
        vocab = [t for t in (self._bm25.vocab_dict if self.ids else {}) if t != name.lower()]
        close = difflib.get_close_matches(name.lower(), vocab, n=1, cutoff=0.85)
        return close[0] if close else None

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """Up to ``k`` (id, BM25 score) pairs, best first; zero scores dropped. An id
        that several documents share (a sentence index) appears once, at its best."""
        q = query_terms(query)
        if not self.ids or not q:
            return []
        docs, scores = self._top(q, min(len(self.ids), k * self._overfetch))
        out: dict[str, float] = {}
        for d, score in zip(docs, scores, strict=True):
            if len(out) == k:
                break
            out.setdefault(self.ids[int(d)], float(score))
        return list(out.items())

    def _top(self, q: list[str], n: int) -> tuple[Any, Any]:
        """The ``n`` best documents with a score above zero (indices, scores), best first,
        ties by document order. bm25s's own retrieve adds posting lists with ``np.add.at``
        (slow) and sorts every document; ``np.bincount`` and a partial sort of the
        documents that scored at all: 36 -> 2 ms a query over 108k synthetic chunks."""
        import numpy as np

        vocab = self._bm25.vocab_dict
        tids = [vocab[t] for t in q if t in vocab]
        if not tids:
            return [], []
        matrix = self._bm25.scores
        indptr, indices, data = matrix["indptr"], matrix["indices"], matrix["data"]
        docs = np.concatenate([indices[indptr[t] : indptr[t + 1]] for t in tids])
        weights = np.concatenate([data[indptr[t] : indptr[t + 1]] for t in tids])
        return best_documents(docs, weights, int(matrix["num_docs"]), n)

    # -- persistence ------------------------------------------------------------------
    def save(self, folder: Path, *, with_ids: bool = True) -> None:
        """Write the scoring structure (bm25s's arrays and vocabulary) and, unless the
        caller keeps them another way, the ids."""
        folder.mkdir(parents=True, exist_ok=True)
        if self.ids:
            self._bm25.save(str(folder / "bm25"), show_progress=False)
        if with_ids:
            (folder / "ids.json").write_text(json.dumps(self.ids), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, ids: list[str] | None = None) -> LexicalIndex:
        """What ``save`` wrote, arrays memory-mapped (``ids``: when saved without them)."""
        import bm25s

        if ids is None:
            ids = json.loads((folder / "ids.json").read_text(encoding="utf-8"))
        bm25 = None
        if ids:
            bm25 = bm25s.BM25.load(str(folder / "bm25"), mmap=True, show_progress=False)
        return cls(ids, None, bm25)


def best_documents(docs: Any, weights: Any, num_docs: int, n: int) -> tuple[Any, Any]:
    """The ``n`` documents whose posting weights sum highest above zero (indices, sums),
    best first, ties by document order: ``docs`` and ``weights`` are the query terms'
    postings, concatenated."""
    import numpy as np

    sums = np.bincount(docs, weights=weights, minlength=num_docs)
    found = np.flatnonzero(sums > 0)
    if found.size > n:
        found = found[np.argpartition(-sums[found], n - 1)[:n]]
    order = np.lexsort((found, -sums[found]))
    return found[order], sums[found[order]]


def build(rows: list[tuple[str, str, str]]) -> LexicalIndex:
    """The chunk and sentence indexes from stored terms: (id, terms, sentences) rows."""
    built = LexicalIndex([r[0] for r in rows], [r[1].split() for r in rows])
    sentence_ids: list[str] = []
    corpus: list[list[str]] = []
    for cid, _, sentences in rows:
        for line in sentences.split("\n") if sentences else ():
            sentence_ids.append(cid)
            corpus.append(line.split())
    built.sentences = LexicalIndex(sentence_ids, corpus)
    return built


def lexical_index(index: ChunkIndex) -> LexicalIndex:
    """The BM25 index of this Chroma index, as of its last write (see ``rag.index.bm25``).

    Raises:
        IndexStoreError: the index or its term store cannot be read.
    """
    from rag.index.bm25 import current

    return current(index)


_NAME = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][\w'’-]{3,}")
#: A translated name this close to a name of the question is a garbled copy of it.
_GARBLED = 0.6


def repair_names(original: str, translated: str, vocab: LexicalIndex) -> str:
    """Undo names the translation invented: a capitalized word the corpus never uses
    and the question does not contain, but which looks like a name of the question, is
    replaced by that name's corpus spelling (or the name as written).

    Measured: the 1.5B model translated a country's Italian name into another country's
    English one, and retrieval then missed every passage. ``vocab`` is the corpus's BM25
    index; here its corpus writes "Valdoria":

        repair_names("Chi governa la Valdorria?", "Who governs Valdivia?", vocab)
        -> "Who governs Valdoria?"
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
