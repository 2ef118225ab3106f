"""The no-LLM backend: answer by quoting the passage sentences that best answer the question.

It never writes a word of its own: every sentence of the answer is quoted from a passage
and followed by the marker of that passage, so citations are right by construction. It
reads the same passages as an LLM would, ranks their sentences the same way
(``rag.context.rank_sentences``), and quotes the best one, plus up to two more that score
nearly as well and say something else:

    >>> ExtractiveBackend().complete(Request(question="When did the harbour open?",
    ...                                      passages=passages))
    'The harbour opened in 1999 [2].'

Two rules, both independent of any corpus:
- a sentence that cannot answer is never quoted: a heading, a lead-in ending in a colon,
  or, when the question asks for a kind of answer (a number, a date, a person: the
  language's question words in ``rag.text.languages``), a sentence without one (a
  number may be a number word of the language file);
- when even the best remaining sentence scores under ``Settings.min_score``
  (measured for the embedder), the reply is the abstention sentence.

``condense_heuristic`` rewrites a follow-up question into a standalone query without a model.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from rag.grounding.kinds import asked_kind, has_kind
from rag.grounding.markers import MARKER
from rag.llm.base import Backend, Request
from rag.text import content_terms, fold
from rag.text.lang import question_lang
from rag.text.languages import language

if TYPE_CHECKING:
    from rag.config import Settings
    from rag.types import Passage, Turn

__all__ = ["ExtractiveBackend", "asked_kind", "condense_heuristic", "pick"]

log = logging.getLogger(__name__)

MAX_SENTENCES = 3
#: A further sentence is quoted only when it scores nearly as well as the best one.
_EXTRA_RATIO = 0.9
#: Two sentences sharing this share of their content terms say the same thing.
_SAME_FACT = 0.5

_CLOSING = re.compile(r"([.!?…]+[\"”»’)\]]*|[\"”»’)\]]+)$")


class ExtractiveBackend(Backend):
    """Quotes the best sentences of the passages with ``[n]`` markers; no model needed."""

    name: ClassVar[str] = "extractive"
    uses_prompt: ClassVar[bool] = False

    def __init__(self, embedder: Any = None, settings: Settings | None = None) -> None:
        self._embedder = embedder
        self._settings = settings

    @classmethod
    def from_settings(cls, settings: Settings) -> ExtractiveBackend:
        """Use the embedding model named by the settings (loaded on first answer)."""
        return cls(settings=settings)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from rag.config import Settings

            self._settings = Settings.from_env()
        return self._settings

    @property
    def embedder(self) -> Any:
        """The sentence embedder, from settings on first use."""
        if self._embedder is None:
            from rag.embeddings import get_embedder

            self._embedder = get_embedder(self.settings)
        return self._embedder

    def stream(self, request: Request) -> Iterator[str]:
        """Yield the answer one quoted sentence at a time, or the abstention sentence."""
        lang = question_lang(request.question)
        picked = pick(
            request.question,
            lang,
            request.passages,
            self.embedder,
            min_score=self.settings.min_score,
        )
        if not picked:
            yield language(lang).abstain
            return
        for k, (index, sentence) in enumerate(picked):
            yield ("" if k == 0 else " ") + _with_marker(sentence, index + 1)


def _states_something(sentence: str) -> bool:
    """Not a heading (short, no closing punctuation) nor a lead-in ending in a colon."""
    text = sentence.strip()
    if text.endswith(":"):
        return False
    return len(text.split()) >= 15 or bool(re.search(r"[.!?;»\"”’)]$", text))


def pick(
    question: str,
    lang: str,
    passages: Sequence[Passage],
    embedder: Any,
    *,
    min_score: float,
) -> list[tuple[int, str]]:
    """``(passage_index, sentence)`` to quote, best first; [] when nothing answers."""
    from rag.context import rank_sentences

    kind = asked_kind(question, lang)
    ranked = [
        c
        for c in rank_sentences([(question, lang)], passages, embedder)
        if _states_something(c[1]) and has_kind(kind, c[1])
    ]
    if not ranked or ranked[0][2] < min_score:
        return []
    best = ranked[0]
    picked = [best]
    for c in ranked[1:]:
        if len(picked) == MAX_SENTENCES or c[2] < _EXTRA_RATIO * best[2]:
            break
        if not any(_same_fact(c[1], p[1], lang) for p in picked):
            picked.append(c)
    return [(i, s) for i, s, _ in picked]


def _same_fact(a: str, b: str, lang: str) -> bool:
    ta, tb = content_terms(a, lang), content_terms(b, lang)
    return bool(ta and tb) and len(ta & tb) / min(len(ta), len(tb)) >= _SAME_FACT


def _with_marker(sentence: str, n: int) -> str:
    """Put ``[n]`` before the closing punctuation: "... in 2022." -> "... in 2022 [1]."."""
    s = sentence.rstrip()
    m = _CLOSING.search(s)
    if m and m.start() > 0:
        return f"{s[: m.start()].rstrip()} [{n}]{m.group(1)}"
    return f"{s} [{n}]."


# --------------------------------------------------------------------------- follow-ups


def condense_heuristic(question: str, history: Sequence[Turn]) -> str:
    """Make a follow-up standalone by appending the content words of the previous question.

    A question is a follow-up when it uses a pronoun of its language (the language data
    file's ``pronouns``) or names at most two things; others are left as they are. The
    earlier question's words help retrieval find the same topic; the follow-up's own
    words still lead the ranking:

        >>> from rag.types import Turn
        >>> condense_heuristic("And when was it closed?",
        ...     [Turn("user", "What did the Council say about the fish market?")])
        'And when was it closed? What did Council say about fish market'
    """
    q = question.strip()
    last_user = next((t.content for t in reversed(history) if t.role == "user"), "")
    if not q or not last_user:
        return q
    own = question_lang(q)
    if not set(re.findall(r"\w+", fold(q))) & language(own).pronouns and (
        len(content_terms(q, own)) > 2
    ):
        return q
    lang = question_lang(last_user)
    have = content_terms(q, lang)
    extra = []
    for w in re.findall(r"[^\W\d_][\w’'-]*|\d+", MARKER.sub("", last_user)):
        terms = content_terms(w, lang)
        if terms and not terms & have:
            have |= terms
            extra.append(w)
    return f"{q} {' '.join(extra)}" if extra else q
