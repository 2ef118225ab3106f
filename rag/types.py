"""Plain frozen data objects that flow through the pipeline, in data-flow order.

    files -> Document -> Chunk -> (Chroma) -> Passage -> Answer(text, citations, passages)

Nothing here imports a third-party library; every other module depends on this one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Answer",
    "Chunk",
    "Citation",
    "Document",
    "Paragraph",
    "Passage",
    "Turn",
]


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of a normalized document.

    ``start``/``end`` are character offsets into ``Document.text``, so
    ``doc.text[p.start:p.end] == p.text``. ``label`` is a numbered paragraph label
    such as ``"9.2.1"`` (no trailing dot) when the paragraph starts with one.
    ``heading`` is the nearest preceding heading of the same section, used for a
    human locator ("Harbour Report 2024, §7").
    """

    text: str
    start: int
    end: int
    lang: str = "en"
    label: str | None = None
    heading: str | None = None


@dataclass(frozen=True)
class Document:
    """A loaded, normalized file. ``source`` is the path relative to the corpus folder."""

    source: str
    text: str
    title: str
    paragraphs: tuple[Paragraph, ...]
    date: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def languages(self) -> list[str]:
        """Languages of the paragraphs, in order of first appearance."""
        return list(dict.fromkeys(p.lang for p in self.paragraphs))


@dataclass(frozen=True)
class Chunk:
    """A token-bounded piece of one document in one language, ready to embed.

    ``id`` is stable: derived from the source and the chunk text, so re-ingesting an
    unchanged file yields the same ids. ``start``/``end`` are offsets into the
    normalized document text. ``locator`` is what a person reads ("§7", "§9.2.1-9.3").
    ``translations`` are the ids of chunks of the same document that translate this one
    (``rag.parallel``).
    """

    id: str
    source: str
    text: str
    start: int
    end: int
    lang: str
    title: str = ""
    date: str | None = None
    labels: tuple[str, ...] = ()
    locator: str = ""
    ordinal: int = 0
    translations: tuple[str, ...] = ()


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its retrieval score (higher is better).

    ``translations``: ids of the chunks that translate this one (``rag.parallel``); the
    retriever spends no context on them, a reader may show them.
    """

    chunk_id: str
    source: str
    text: str
    score: float
    lang: str = "en"
    title: str = ""
    date: str | None = None
    locator: str = ""
    start: int = 0
    end: int = 0
    translations: tuple[str, ...] = ()

    @property
    def heading(self) -> str:
        """What the prompt shows around the text: title, date and locator, space-joined."""
        return " ".join(x for x in (self.title, self.date or "", self.locator) if x)

    @property
    def label(self) -> str:
        """Title, the date's year and locator: what supports a claim's numbers besides
        the text. A small model writes an article's date as the date of the event it
        reports ("the ferry line would reopen on November 14", from an article dated
        2025-11-14 that says "in 2027"), so the day is no support; the year is, since
        answers restate a question's "in November 2025"."""
        year = (self.date or "")[:4]
        return " ".join(x for x in (self.title, year if year.isdigit() else "", self.locator) if x)


@dataclass(frozen=True)
class Citation:
    """A verified citation: marker ``[n]`` in the answer text points at ``passages[n-1]``.

    ``quote`` is the span of the passage that supports the cited sentence.
    """

    n: int
    source: str
    chunk_id: str
    quote: str
    locator: str = ""
    title: str = ""


@dataclass(frozen=True)
class Turn:
    """One message of a conversation: ``role`` is ``"user"`` or ``"assistant"``."""

    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class Answer:
    """What ``answer()`` returns: the text and all the evidence behind it.

    ``passages`` are the ranked passages the backend saw, numbered from 1 in the text.
    ``citations`` holds only verified citations. ``unsupported`` lists answer sentences
    that were removed because no cited passage supported them. ``timings`` are
    milliseconds per stage (``retrieve``, ``generate``, ``verify``, ``total``...).
    ``backend`` names the backend that wrote the final text (``extractive`` when the
    extractive fallback did). ``trace`` is the route the answer took, one dict per step in
    order, each with a ``"step"`` key (``retrieve``, ``generate``, ``verify``, ``retry``,
    ``fallback``, ``removed``, ``wait``, ``decide``...) and the step's facts: a removed
    sentence has ``sentence`` and ``reason``; an LLM call has ``backend`` and ``ms``; a
    ``wait`` for the local model (busy with another answer) has the ``stage`` it delayed
    and its ``ms``, which ``timings["wait"]`` totals.
    """

    question: str
    text: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    query: str = ""
    backend: str = ""
    unsupported: list[str] = field(default_factory=list)
    trace: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (used by ``rag ask --json``, the eval harness and the UI API)."""
        from dataclasses import asdict

        return asdict(self)
