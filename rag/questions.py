"""What a question must be before the read path spends anything on it.

``check_question`` returns the question stripped, or raises one ``QuestionError`` whose
message says what to change:

    >>> check_question("  When does the first ferry leave?  ")
    'When does the first ferry leave?'
    >>> check_question("Who signed\\x07 it?")
    Traceback (most recent call last):
    ...
    rag.errors.QuestionError: The question contains a control character (U+0007) ...

Refused: an empty or blank question; control characters (a terminal bell, an escape
sequence, a NUL, a lone surrogate, a right-to-left override that hides what the text
says); more than ``Settings.max_question_tokens`` cl100k tokens; a question the language
detector places, confidently, in a language the read path has no data file for
(``rag.text.languages``: its abstention sentence, question words and negations).
Tabs and line breaks are whitespace, not control characters.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from rag.errors import QuestionError

if TYPE_CHECKING:
    from rag.config import Settings

__all__ = ["MAX_QUESTION_CHARS", "check_question"]

#: Refused before anything is tokenized: a pasted document is not a question.
MAX_QUESTION_CHARS = 4000
_WHITESPACE = frozenset("\t\n\r\f\v")
# Bidirectional embeddings, overrides and isolates (category Cf): they reorder what a
# reader sees without changing what the program reads.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# A question this short says too little for a language guess ("Who?", "Lorvik?").
_MIN_LETTERS = 12
# The detector must be this sure of an unsupported language, and give every supported
# one less than _SUPPORTED_FLOOR, before a question is refused: a short English question
# with names in it often scores a little of everything.
_UNSUPPORTED_SCORE = 0.7
_SUPPORTED_FLOOR = 0.05


def check_question(question: object, settings: Settings | None = None) -> str:
    """The question, stripped, if the read path can answer it as asked.

    Args:
        question: what the user typed.
        settings: ``max_question_tokens`` comes from here (``Settings.from_env()`` if None).

    Returns:
        The question without surrounding whitespace.

    Raises:
        QuestionError: empty, a control character, too long, or in an unsupported
            language; the message says what to do.
    """
    if not isinstance(question, str):
        raise QuestionError(
            f"The question must be text, not {type(question).__name__}: pass a string."
        )
    q = question.strip()
    if not q:
        raise QuestionError("The question is empty: type a question about your documents.")
    _check_characters(q)
    if len(q) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"The question is {len(q):,} characters long; ask it in under "
            f"{MAX_QUESTION_CHARS:,} (one question, not a document)."
        )
    _check_tokens(q, settings)
    _check_language(q)
    return q


def _check_characters(q: str) -> None:
    for i, ch in enumerate(q):
        if ch in _WHITESPACE:
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs") or ch in _BIDI:
            raise QuestionError(
                f"The question contains a control character (U+{ord(ch):04X}) at position "
                f"{i + 1}: retype it, or paste it as plain text."
            )


def _check_tokens(q: str, settings: Settings | None) -> None:
    from rag.chunking import count_tokens
    from rag.config import Settings

    limit = (settings or Settings.from_env()).max_question_tokens
    n = count_tokens(q)
    if n > limit:
        raise QuestionError(
            f"The question is {n} tokens long; the limit is {limit} (RAG_MAX_QUESTION_TOKENS). "
            "Ask a shorter question, or one thing at a time."
        )


def _check_language(q: str) -> None:
    from rag.text.lang import language_scores
    from rag.text.languages import language, supported

    if sum(c.isalpha() for c in q) < _MIN_LETTERS:
        return
    scores = language_scores(q, k=20)
    if not scores:
        return
    best, score = max(scores.items(), key=lambda item: item[1])
    known = supported()
    if best in known or score < _UNSUPPORTED_SCORE:
        return
    if max((scores.get(code, 0.0) for code in known), default=0.0) >= _SUPPORTED_FLOOR:
        return
    names = ", ".join(language(code).name for code in known)
    raise QuestionError(
        f"The question seems to be in a language this tool has no data for ({best}); "
        f"ask it in one of: {names}."
    )
