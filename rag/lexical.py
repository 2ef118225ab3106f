"""BM25 over the indexed chunks, for the exact words dense embeddings miss: names,
numbers, rare terms ("Harbour Authority", "twenty-fifth", "Regulation No. 417").

Each chunk is tokenized with the stemmer of its own language (chunks are tagged en/fr/it);
the query, whose language is unknown, is stemmed with all of them and the stems pooled.
A chunk is tokenized once, when it is written (``chunk_terms``; the terms are kept by
``rag.index.terms``); their counts are kept in segments, one per sync that added chunks
(``rag.index.segments``), loaded by every process that reads the index
(``rag.index.bm25``), and the query's terms are weighed when it is asked, from statistics
summed over the segments (``LexicalIndex``): the scores of bm25s's "lucene" BM25 over all
chunks, without rebuilding anything when a file is added.

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
import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rag.text import stem, stopwords, words
from rag.text.languages import supported

if TYPE_CHECKING:
    from rag.index import ChunkIndex
    from rag.index.segments import Postings, Segment

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


#: BM25 parameters, bm25s's defaults (its "lucene" variant, which ranked every index so far).
K1, B = 1.5, 0.75


class _Part:
    """One segment's postings as the index reads them: ``rank``, each document's position
    in the index (-1: deleted); ``df``, each term's live documents; ``norm``, each
    document's length normalization under the index's average length."""

    def __init__(self, postings: Postings, rank: Any) -> None:
        import numpy as np

        self.postings = postings
        self.rank = np.asarray(rank, dtype=np.int64)
        self.live = self.rank >= 0
        self.partial = not bool(self.live.all())
        if self.partial:  # live postings per term, from a running count
            seen = np.zeros(len(postings.docs) + 1, dtype=np.int32)
            np.cumsum(self.live[np.asarray(postings.docs)], out=seen[1:])
            self.df = seen[postings.indptr[1:]] - seen[postings.indptr[:-1]]
        else:
            self.df = np.diff(postings.indptr)
        self.length = int(np.asarray(postings.lengths, dtype=np.int64)[self.live].sum())
        self.norm = np.zeros(0)

    def normalize(self, avgdl: float) -> None:
        import numpy as np

        lengths = np.asarray(self.postings.lengths, dtype=np.float64)
        self.norm = K1 * (1 - B + B * lengths / avgdl)


class LexicalIndex:
    """BM25 over ids, scored at query time from term frequencies kept in segments
    (``rag.index.segments``): the weights of the query's terms come from the statistics
    of the live documents of every segment (N, average length, each term's document
    count), so an index of several segments, some documents deleted, scores exactly as
    one built from scratch over the same documents, and as bm25s ("lucene") did.
    ``sentences``, when built, scores each chunk by its best sentence (several documents
    per id). Ties rank by document position: ``ids`` order (a built index: the id order
    of the term store's rows, as bm25s over those rows ranked them).

        LexicalIndex(["a", "b"], [["bridg", "rail"], ["rail"]]).search("bridges", 1)
        -> [("a", 0.241...)]
    """

    sentences: LexicalIndex | None = None

    def __init__(
        self,
        ids: list[str],
        corpus: list[list[str]] | None = None,
        *,
        parts: list[tuple[Postings, Any]] | None = None,
        shared_ids: bool | None = None,
    ) -> None:
        """``corpus``: one token list per id; or ``parts``: (postings, rank) of each segment,
        ``rank`` the position in ``ids`` of each of its documents, -1 when deleted."""
        if parts is None:
            import numpy as np

            from rag.index.segments import Postings

            parts = [(Postings.of(corpus or []), np.arange(len(ids)))]
        self.ids = ids
        # Several documents per id (a sentence index): fetch more, keep each id once.
        if shared_ids is None:
            shared_ids = len(set(ids)) < len(ids)
        self._overfetch = 4 if shared_ids else 1
        self._parts = [_Part(p, rank) for p, rank in parts]
        self._total = sum(p.length for p in self._parts)
        if ids:
            for part in self._parts:
                part.normalize(self._total / len(ids))
        self._vocab: list[str] | None = None

    def _df(self, term: str) -> tuple[int, list[tuple[_Part, int]]]:
        """A term's live document count and its (part, term id) places."""
        places = [(p, p.postings.vocab[term]) for p in self._parts if term in p.postings.vocab]
        return sum(int(p.df[t]) for p, t in places), places

    def knows(self, word: str) -> bool:
        """Whether the corpus uses ``word`` (in any language's stemmed form)."""
        w = word.lower()
        return any(self._df(t)[0] > 0 for t in {w, *(stem(w, lang) for lang in supported())})

    def vocabulary(self) -> list[str]:
        """Every term a live document uses (sorted; computed once)."""
        if self._vocab is None:
            terms: set[str] = set()
            for p in self._parts:
                terms.update(t for t, df in zip(p.postings.terms, p.df, strict=True) if df)
            self._vocab = sorted(terms)
        return self._vocab

    def spelling(self, name: str) -> str | None:
        """The corpus term closest to ``name`` other than ``name`` itself, if one is as
        close as a spelling variant ("Valdorria" -> "valdoria"), else None."""
        vocab = [t for t in self.vocabulary() if t != name.lower()]
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
        """The ``n`` best documents with a score above zero (positions, scores), best
        first, ties by position. Each posting weighs idf * tf / (tf + norm), as bm25s
        stored it (float32); only the query's terms are weighed."""
        import math

        import numpy as np

        docs, weights = [], []
        n_docs = len(self.ids)
        for term in q:
            df, places = self._df(term)
            if not df:
                continue
            idf = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
            for part, t in places:
                span = slice(int(part.postings.indptr[t]), int(part.postings.indptr[t + 1]))
                local = np.asarray(part.postings.docs[span])
                tf = np.asarray(part.postings.tf[span], dtype=np.float64)
                rank = part.rank[local]
                if part.partial:
                    live = rank >= 0
                    local, tf, rank = local[live], tf[live], rank[live]
                docs.append(rank)
                weights.append((idf * tf / (tf + part.norm[local])).astype(np.float32))
        if not docs:
            return [], []
        return best_documents(np.concatenate(docs), np.concatenate(weights), n_docs, n)

    @classmethod
    def of_segments(cls, parts: Sequence[tuple[Segment, Any]]) -> LexicalIndex:
        """The chunk and sentence indexes of segments' kept chunks (a bool per chunk),
        positioned in chunk id order, a chunk's sentences in their order: the order of a
        build from the term store's rows, hence the same ties."""
        import numpy as np

        names: list[str] = []
        kept = []
        for segment, keep in parts:
            where = np.flatnonzero(np.asarray(keep, dtype=bool))
            names.extend(segment.ids[int(i)] for i in where)
            kept.append(where)
        order = sorted(range(len(names)), key=names.__getitem__)
        position = np.empty(len(names), dtype=np.int64)
        position[order] = np.arange(len(names))
        ids = [names[i] for i in order]
        chunk_ranks, owner_ranks, start = [], [], 0
        for (segment, _), where in zip(parts, kept, strict=True):
            rank = np.full(len(segment.ids), -1, dtype=np.int64)
            rank[where] = position[start : start + len(where)]
            start += len(where)
            chunk_ranks.append(rank)
            owner_ranks.append(rank[np.asarray(segment.owners, dtype=np.int64)])
        # A sentence's position: its chunk's, then its own order within the segment.
        owners = np.concatenate(owner_ranks) if owner_ranks else np.zeros(0, dtype=np.int64)
        local = np.concatenate([np.arange(len(o)) for o in owner_ranks] or [owners])
        live = owners >= 0
        order2 = np.lexsort((local[live], owners[live]))
        sentence_position = np.full(len(owners), -1, dtype=np.int64)
        sentence_position[np.flatnonzero(live)[order2]] = np.arange(len(order2))
        bounds = np.cumsum([0, *(len(o) for o in owner_ranks)])
        sorted_owners = np.sort(owners[live])
        sentence_ids = [ids[int(r)] for r in sorted_owners]
        built = cls(
            ids, parts=[(s.chunks, r) for (s, _), r in zip(parts, chunk_ranks, strict=True)]
        )
        built.sentences = cls(
            sentence_ids,
            parts=[
                (s.sentences, sentence_position[bounds[i] : bounds[i + 1]])
                for i, (s, _) in enumerate(parts)
            ],
            shared_ids=bool((np.diff(sorted_owners) == 0).any()),
        )
        return built


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


def build(rows: Sequence[tuple[str, str, str]]) -> LexicalIndex:
    """The chunk and sentence indexes from stored terms: (id, terms, sentences) rows."""
    import numpy as np

    from rag.index.segments import Segment

    return LexicalIndex.of_segments([(Segment.of(rows), np.ones(len(rows), dtype=bool))])


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
