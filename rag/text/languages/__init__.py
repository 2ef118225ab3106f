"""Per-language data: one JSON file per language, so adding Spanish is a file, not code.

Each file (``en.json``, ``fr.json``, ...) holds the language's ``name``, its ``abstain``
sentence (what the answer says when the documents don't answer), its ``months`` and
``asks``: the question words that ask for a kind of answer (``number``, ``date``,
``person``), and the ``negations``, ``limiters`` ("only") and ``pronouns`` that
verification reads, ``numbers``: number words, cardinal and ordinal, folded, and
``replies``: the words that answer a yes/no question by themselves ("yes", "oui"), and
``questions``: the words that open a question ("which", "pourquoi"), both folded;
``stopwords``: the words that say nothing of a text's topic, left out of BM25 terms and
of the content words verification compares (as bm25s ships them: NLTK's lists for French
and Italian, Lucene's for English), and
``stemmer``: the name of the language's PyStemmer Snowball stemmer.

    >>> language("fr").abstain
    'Les documents ne le disent pas.'
    >>> supported()
    ('en', 'fr', 'it')
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["DEFAULT", "Language", "language", "supported", "words_of_all"]

DEFAULT = "en"


@dataclass(frozen=True)
class Language:
    """What the read path knows about one language."""

    code: str
    name: str
    abstain: str
    months: tuple[str, ...]
    asks: dict[str, tuple[str, ...]]
    negations: frozenset[str] = frozenset()
    limiters: frozenset[str] = frozenset()
    pronouns: frozenset[str] = frozenset()
    numbers: frozenset[str] = frozenset()
    replies: frozenset[str] = frozenset()
    questions: frozenset[str] = frozenset()
    stopwords: frozenset[str] = frozenset()
    stemmer: str = "english"


@cache
def supported() -> tuple[str, ...]:
    """Codes of the languages that have a data file, sorted."""
    files = resources.files(__package__).iterdir()
    return tuple(sorted(f.name[:-5] for f in files if f.name.endswith(".json")))


@cache
def language(code: str) -> Language:
    """The data of ``code``; the default language's for a language without a file."""
    if code not in supported():
        code = DEFAULT
    data = json.loads(resources.files(__package__).joinpath(f"{code}.json").read_text("utf-8"))
    return Language(
        code=code,
        name=data["name"],
        abstain=data["abstain"],
        months=tuple(data.get("months", ())),
        asks={k: tuple(v) for k, v in data.get("asks", {}).items()},
        negations=frozenset(data.get("negations", ())),
        limiters=frozenset(data.get("limiters", ())),
        pronouns=frozenset(data.get("pronouns", ())),
        numbers=frozenset(data.get("numbers", ())),
        replies=frozenset(data.get("replies", ())),
        questions=frozenset(data.get("questions", ())),
        stopwords=frozenset(data.get("stopwords", ())),
        stemmer=data.get("stemmer", "english"),
    )


def words_of_all(field: str) -> frozenset[str]:
    """One word list (``negations``, ``limiters``, ``pronouns``, ``numbers``, ``replies``,
    ``questions``) of every language: an answer may mix languages."""
    return frozenset().union(*(getattr(language(c), field) for c in supported()))
