"""The no-LLM backend: answer by quoting the 1-3 passage sentences that answer the question.

It never writes a word of its own: every sentence of the answer is quoted from a passage
and followed by the marker of that passage, so citations are right by construction.

    >>> backend = ExtractiveBackend()
    >>> backend.complete(Request(question="Who is the Minister of Justice of Kazakhstan?",
    ...                          passages=passages))
    'Yerlan Sarsembayev is the Minister of Justice of Kazakhstan [1].'

Whether to answer at all is decided by the evidence gate (``rag.evidence.assess``); when
the passages don't answer, the reply is exactly the fixed abstention sentence of the
question's language ("The documents don't say.") and nothing else: no "closest passage"
hint, because a hint quoting an off-target sentence reads as an answer, and the UI shows
the retrieved passages anyway (``Answer.passages``).

``condense_heuristic`` rewrites a follow-up question into a standalone query without a model.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from rag.evidence import STRONG_COSINE, EvidenceVerdict, assess, detect_lang, terms
from rag.llm.base import Backend, Request

if TYPE_CHECKING:
    from rag.config import Settings
    from rag.types import Passage, Turn

try:  # rag.prompt owns the abstention sentences; keep a copy if it is absent.
    from rag.prompt import ABSTAIN_TEXT, ABSTAIN_TEXTS
except ImportError:  # pragma: no cover - only while rag.prompt does not exist
    ABSTAIN_TEXT = "The documents don't say."
    ABSTAIN_TEXTS = {
        "en": ABSTAIN_TEXT,
        "fr": "Les documents ne le disent pas.",
        "it": "I documenti non lo dicono.",
    }

__all__ = ["ExtractiveBackend", "compose", "condense_heuristic"]

log = logging.getLogger(__name__)

MAX_SENTENCES = 3
# A further sentence is added only when it scores nearly as well as the best one: a
# short answer is a precise one.
_EXTRA_RATIO = 0.85
# Two sentences this similar (embedding cosine) say the same thing.
_DUPLICATE_COSINE = 0.8

_CLOSING = re.compile(r"([.!?…]+[\"”»’)\]]*|[\"”»’)\]]+)$")
_ANCHOR = re.compile(r"\d+(?:[.,]\d+)*|\b[A-Z][\w’'-]+")


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
    def embedder(self) -> Any:
        """The sentence embedder, from settings on first use."""
        if self._embedder is None:
            from rag.config import Settings
            from rag.embeddings import get_embedder

            self._embedder = get_embedder(self._settings or Settings.from_env())
        return self._embedder

    def stream(self, request: Request) -> Iterator[str]:
        """Yield the answer one quoted sentence at a time, or the abstention sentence."""
        lang = detect_lang(request.question)
        if not request.passages or not request.question.strip():
            yield ABSTAIN_TEXTS.get(lang, ABSTAIN_TEXT)
            return
        verdict = assess(request.question, request.passages, embedder=self.embedder, lang=lang)
        log.debug("evidence: %s (%s)", verdict.answerable, verdict.reason)
        # A sentence this close to the question answers it even when a question word is
        # missing from the passages ("react" for "expressed support", "meet" for "met").
        if not verdict.answerable and verdict.best_cosine < STRONG_COSINE:
            yield ABSTAIN_TEXTS.get(lang, ABSTAIN_TEXT)
            return
        picked = compose(verdict, request.passages, embedder=self.embedder)
        for k, (index, sentence) in enumerate(picked):
            yield ("" if k == 0 else " ") + _with_marker(sentence, index + 1)


def compose(
    verdict: EvidenceVerdict, passages: Sequence[Passage], *, embedder: Any = None
) -> list[tuple[int, str]]:
    """Pick 1-3 ``(passage_index, sentence)`` from an answerable verdict, best first.

    Sentences in the question's language come first when any passed the gate. A sentence
    that repeats one already picked (same wording, same facts in another language of the
    trilingual resolution, or embedding cosine >= 0.8) is skipped.
    """
    cands = list(verdict.best_sentences)
    # A heading ("Strengthening Kazakhstan's Human Rights Profile") is not an answer.
    cands = [c for c in cands if not _heading(c[1])] or cands
    # A lead-in ("The Assembly calls on the authorities to:") states nothing by itself:
    # verification drops it (``rag.citations._dangling``), so it is no answer either.
    cands = [c for c in cands if not c[1].rstrip().endswith(":")]
    same = [c for c in cands if _lang(passages, c[0]) == verdict.lang]
    if same:
        cands = same + [c for c in cands if c not in same]
    if not cands:
        return []
    best_score = cands[0][2]
    picked: list[tuple[int, str, float]] = [cands[0]]
    for c in cands[1:]:
        if len(picked) == MAX_SENTENCES:
            break
        if c[2] < _EXTRA_RATIO * best_score:
            continue
        if any(_same_fact(c, p, passages) for p in picked):
            continue
        picked.append(c)
    if embedder is not None and len(picked) > 1:
        vecs = embedder.embed([s for _, s, _ in picked])
        keep = [0]
        for i in range(1, len(picked)):
            if all(float(vecs[i] @ vecs[j]) < _DUPLICATE_COSINE for j in keep):
                keep.append(i)
        picked = [picked[i] for i in keep]
    return [(i, s) for i, s, _ in picked]


def _heading(sentence: str) -> bool:
    """A short line without final punctuation: a title or section heading."""
    text = sentence.strip()
    return len(text.split()) < 15 and not re.search(r"[.!?;:»\"”’)]$", text)


def _lang(passages: Sequence[Passage], index: int) -> str:
    return passages[index].lang if 0 <= index < len(passages) else "en"


def _same_fact(
    a: tuple[int, str, float], b: tuple[int, str, float], passages: Sequence[Passage]
) -> bool:
    """Near-duplicates: mostly the same words, or the same numbers and names."""
    wa, wb = set(re.findall(r"\w+", a[1].lower())), set(re.findall(r"\w+", b[1].lower()))
    if wa and wb and len(wa & wb) / len(wa | wb) >= 0.5:
        return True
    # The resolution says everything in en, fr and it: same anchors = same fact.
    aa, ab = set(_ANCHOR.findall(a[1])), set(_ANCHOR.findall(b[1]))
    if _lang(passages, a[0]) != _lang(passages, b[0]) and aa and ab:
        return len(aa & ab) / min(len(aa), len(ab)) >= 0.5
    return False


def _with_marker(sentence: str, n: int) -> str:
    """Put ``[n]`` before the closing punctuation: "... in 2022." -> "... in 2022 [1]."."""
    s = sentence.rstrip()
    m = _CLOSING.search(s)
    if m and m.start() > 0:
        return f"{s[: m.start()].rstrip()} [{n}]{m.group(1)}"
    return f"{s} [{n}]."


# --------------------------------------------------------------------------- follow-ups

_LEADS = re.compile(
    r"^\s*(and|but|also|what about|how about|et|mais|aussi|et pour|e|ma|anche|e per)\b",
    re.IGNORECASE,
)
_PRONOUNS = {
    "en": "it its they them their this that these those he she him his her there",
    "fr": "il elle ils elles cela ça celui celle ceux lui leur",
    "it": "esso essa essi esse questo questa quello quella ciò lui lei loro lo li",
}
_MARKER = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")


def condense_heuristic(question: str, history: Sequence[Turn]) -> str:
    """Make a follow-up standalone by appending the key terms of the previous turn.

    A question is a follow-up when it starts with and/et/e/also..., uses a pronoun
    (it, they, il, elle, esso...) or names almost nothing (at most one key term). Then
    the names, numbers and content words of the last user question, and the names and
    numbers of the first sentence of the last (non-abstaining) answer, are appended:

        >>> condense_heuristic("And when was it abolished?",
        ...     [Turn("user", "What did the Assembly say about the death penalty?")])
        'And when was it abolished? Assembly death penalty'

    Other questions come back unchanged.
    """
    q = question.strip()
    if not history or not q:
        return q
    lang = detect_lang(q)
    words = [w.lower() for w in re.findall(r"[^\W\d_]+", q)]
    followup = (
        bool(_LEADS.match(q))
        or any(w in _PRONOUNS.get(lang, "").split() for w in words)
        or len(terms(q, lang)) <= 1
    )
    if not followup:
        return q
    have = {w.lower() for w in re.findall(r"\w+", q)}
    extra: list[str] = []

    def add(word: str) -> None:
        if word.lower() not in have:
            have.add(word.lower())
            extra.append(word)

    last_user = next((t.content for t in reversed(history) if t.role == "user"), "")
    for t in terms(last_user, detect_lang(last_user)):
        add(t.surface)
    # The answer's names help only when the question said little: a dozen names would
    # drown the follow-up in retrieval.
    last_answer = next((t.content for t in reversed(history) if t.role == "assistant"), "")
    if len(extra) < 2 and last_answer.strip() not in set(ABSTAIN_TEXTS.values()):
        first = re.split(r"(?<=[.!?])\s", _MARKER.sub("", last_answer).strip(), maxsplit=1)[0]
        for t in terms(first, detect_lang(first)):
            if t.kind in ("name", "number"):
                add(t.surface)
    return f"{q} {' '.join(extra)}".strip() if extra else q
