"""Answer kinds: a question that asks for a number or a date is answered only by text that
states one.

"How many bridges were repaired?" asks for a number; an answer that states none ("The
council discussed the bridges [1].") talks about the topic without answering, however
well each of its words is supported. The question words of each kind come from the
language data files (``asks`` in ``rag.text.languages``), so the rule is the same for
every corpus and a new language is a file:

    >>> asked_kind("How many bridges were repaired?", "en")
    'number'
    >>> answers_kind("How many bridges were repaired?", "Thirty-nine bridges [1].", "en")
    True
    >>> answers_kind("How many bridges were repaired?", "The bridges were repaired [1].", "en")
    False

A number is a digit or a number word of any language's file, or a word that begins with
one of five letters or more ("venticinquesima" and "hundreds" begin with "venti" and
"hundred"); a date is a digit or a month name. A person is a capitalised word after the
first: too weak to refuse an answer by, so ``answers_kind`` only reads numbers and
dates, and the extractive backend uses all three to choose what to quote.
"""

from __future__ import annotations

import re
from functools import cache

from rag.grounding.markers import strip_markers
from rag.text import fold, words
from rag.text.languages import language, supported, words_of_all

__all__ = ["ANSWER_KINDS", "answers_kind", "asked_kind", "has_kind"]

#: The kinds an answer is refused for lacking (``answers_kind``).
ANSWER_KINDS = ("number", "date")
#: The question word must come early: "What did he say when ...?" asks for no date.
_ASK_WITHIN_WORDS = 4
#: A number word this long also counts as the start of a longer word (compounds, plurals).
_PREFIX_LETTERS = 5


def asked_kind(question: str, lang: str) -> str | None:
    """``"number"``, ``"date"``, ``"person"`` or None: the kind of answer the question's
    first words ask for, from the language's data file.

        >>> asked_kind("Quando è stato firmato l'accordo?", "it")
        'date'
        >>> asked_kind("Quand on compile le paquet, quelles options faut-il ?", "fr")
    """
    head = " ".join(words(_asking_clause(question, lang))[:_ASK_WITHIN_WORDS])
    found = [
        (m.start(), kind)
        for kind, phrases in language(lang).asks.items()
        for phrase in phrases
        if (m := re.search(rf"(?<!\w){re.escape(fold(phrase))}(?!\w)", head))
    ]
    return min(found)[1] if found else None


def _asking_clause(question: str, lang: str) -> str:
    """The part of ``question`` that asks: the last clause opening with a question word
    (the language file's ``questions``), else the whole question. A clause before it sets
    a condition: "When I build it, which options ...?" asks for options, not a date.

        >>> _asking_clause("When I build it, which options can I pass?", "en")
        'which options can I pass'
        >>> _asking_clause("When was it opened, and by whom?", "en")
        'When was it opened'
    """
    opening = language(lang).questions
    asking = [c for c in re.split(r"[,;:.?!]+", question) if set(words(c)[:1]) & opening]
    return asking[-1].strip() if asking else question


def has_kind(kind: str | None, text: str) -> bool:
    """Whether ``text`` states something of ``kind`` (always True for None)."""
    if kind in ("number", "date") and re.search(r"\d", text):
        return True
    tokens = re.findall(r"\w+", fold(text))
    if kind == "number":  # "for the twenty-fifth time", "per la venticinquesima volta"
        return any(t in words_of_all("numbers") or t.startswith(_number_prefixes()) for t in tokens)
    if kind == "date":
        return any(t in _months() for t in tokens)
    if kind == "person":
        return bool(re.search(r"\S\s+[A-ZÀ-Ý][\w’'-]+", text))
    return kind is None


def answers_kind(question: str, text: str, lang: str) -> bool:
    """False when ``question`` asks for a number or a date and ``text`` (an answer, its
    ``[n]`` markers aside) states none."""
    kind = asked_kind(question, lang)
    return kind not in ANSWER_KINDS or has_kind(kind, strip_markers(text))


@cache
def _months() -> frozenset[str]:
    """Month names of every language, folded: a date may be written in any of them."""
    return frozenset(fold(m) for code in supported() for m in language(code).months)


@cache
def _number_prefixes() -> tuple[str, ...]:
    return tuple(sorted(w for w in words_of_all("numbers") if len(w) >= _PREFIX_LETTERS))
