"""Small text helpers shared by retrieval, verification and evaluation: accent folding,
word tokens, stop words and stemming in the languages of ``rag.text.languages``.

    >>> fold("Économie ÉTÉ")
    'economie ete'
    >>> sorted(content_terms("The bridges reopened in 2021", "en"))
    ['2021', 'bridg', 'reopen']
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any

__all__ = ["content_terms", "fold", "numbers", "stem", "stemmer", "stopwords", "words"]

_WORD = re.compile(r"\w+", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# Elided articles ("l'hôtel", "dell'acqua") would otherwise glue to the noun.
_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|dell|nell|all|dall|sull|un)['’]", re.IGNORECASE)


def fold(text: str) -> str:
    """Lower case without accents, so "Économie" matches "economie"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Folded word tokens, elided articles removed: "l'hôtel a" -> ["hotel", "a"]."""
    return _WORD.findall(fold(_ELISION.sub("", text)))


def numbers(text: str) -> set[str]:
    """Numbers as written, separators removed: "12 bridges, 1,500 km" -> {"12", "1500"}."""
    return {re.sub(r"[.,]", "", n) for n in _NUMBER.findall(text)}


@cache
def stopwords(lang: str) -> frozenset[str]:
    """Folded stop words of a language: its data file's ``stopwords``
    (``rag.text.languages``), the default language's for a language without a file."""
    from rag.text.languages import language

    return frozenset(fold(w) for w in language(lang).stopwords)


@cache
def stemmer(lang: str) -> Any:
    """The (cached) PyStemmer Snowball stemmer its data file names (``stemmer``); the
    default language's for a language without a file.

    Raises:
        ValueError: the file names a stemmer PyStemmer does not have.
    """
    import Stemmer

    from rag.text.languages import language

    data = language(lang)
    try:
        return Stemmer.Stemmer(data.stemmer)
    except KeyError:
        raise ValueError(
            f"rag/text/languages/{data.code}.json names the stemmer {data.stemmer!r}, which "
            f"PyStemmer does not have; use one of: {', '.join(Stemmer.algorithms())}."
        ) from None


def stem(word: str, lang: str = "en") -> str:
    """Snowball stem of a folded word: stem("bridges") -> "bridg"."""
    return str(stemmer(lang).stemWord(word))


def content_terms(text: str, lang: str = "en") -> set[str]:
    """Stemmed content words and numbers: what a sentence is about."""
    stops = stopwords(lang) | stopwords("en")
    return {
        w if w.isdigit() else stem(w, lang)
        for w in words(text)
        if (w.isdigit() or len(w) > 2) and w not in stops
    }
