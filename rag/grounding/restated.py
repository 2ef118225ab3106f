"""Restated questions: a claim that says nothing the question did not say.

Asked "Which program prints the index database in readable form?", a small model often
replies "The program prints the index database in readable form [1]." It found the right
source (the sentence it copied names the program), but wrote the question back. Such a
claim verifies (its words are in the source) and answers nothing. Likewise "Yes, backups
may set that variable [1]." adds only a yes or a no to the question, which is the part a
small model gets wrong most often.

The rule: a claim whose content words (stemmed, stop words and the language files'
``replies`` left out) all occur in the question restates it. Verification
(``rag.citations.verify``) then shows the sentence of the cited source that supports the
claim instead of the claim: the answer is read in the source's own words.

    >>> q = "Which program prints the index database?"
    >>> restates("The program prints the index database.", q)
    True
    >>> restates("accessdb prints the index database.", q)
    False
    >>> restates("Yes, it is safe.", "Is it safe?"), restates("Safe since 2021.", "Is it safe?")
    (True, False)
"""

from __future__ import annotations

from functools import cache

from rag.text import content_terms, stem
from rag.text.languages import words_of_all

__all__ = ["restates"]


@cache
def _replies(lang: str) -> frozenset[str]:
    """The reply words of every language as ``content_terms`` writes them in ``lang``."""
    return frozenset(stem(w, lang) for w in words_of_all("replies")) | words_of_all("replies")


def restates(claim: str, question: str, lang: str = "en") -> bool:
    """Whether ``claim`` adds no content word to ``question`` (both in ``lang``)."""
    new = content_terms(claim, lang) - content_terms(question, lang) - _replies(lang)
    return not new
