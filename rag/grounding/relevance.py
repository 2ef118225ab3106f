"""Relevance: does the verified evidence answer the question, or only talk about its topic?

Verification (``rag.citations``) proves that each kept sentence is *in* its source; it
cannot tell whether that source answers *this* question. Asked for the population of a
town its documents never count, a model copies a true sentence about that town, which
verifies. So after verification the backend is asked one closed question over the
quotes that support the answer, not over the model's own wording (Self-RAG's "is it
relevant / supported" step, as one constrained call):

    Question: What is the population of Lorvik?
    Text: The harbour of Lorvik opened in 1999.
    -> {"answers": "no"}

The reply is constrained to ``{"answers": "yes" | "no"}`` (JSON schema grammar on llama.cpp,
``response_format`` elsewhere). "no" makes the read path abstain; a reply that is neither
(a server that ignored the schema) counts as "yes": this check may only take an answer
away when the model says so.

    check = relevance_check("What is the population of Lorvik?", quotes, backend)
    check.answers, check.ms     # False, 812.4
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

from rag.llm.base import Backend, Request
from rag.types import Citation, Passage

__all__ = [
    "RELEVANCE_SCHEMA",
    "Relevance",
    "build_relevance_messages",
    "check_citations",
    "cited_evidence",
    "relevance_check",
]

RELEVANCE_SCHEMA = {
    "type": "object",
    "properties": {"answers": {"type": "string", "enum": ["yes", "no"]}},
    "required": ["answers"],
}

_SYSTEM = (
    "You check search results. Given passages and a question, decide whether the passages "
    "contain the information the question asks for. The passages and the question may be in "
    "different languages. Judge only by what the passages say, never by your own knowledge. "
    'Reply in JSON: {"answers": "yes"} or {"answers": "no"}.'
)


@dataclass(frozen=True)
class Relevance:
    """The verdict, the raw reply, and the call's time in milliseconds."""

    answers: bool
    reply: str
    ms: float


def cited_evidence(quotes: Sequence[tuple[str, Passage]]) -> list[str]:
    """What the check reads for each ``(quote, passage)``: the passage's label, the sentence
    before the quote in the passage (which "It was approved in 2024." needs to say what
    "it" is) and the quote itself.

    >>> p = Passage("c", "a.txt", "The board met. It approved the plan.", 1, title="Minutes")
    >>> cited_evidence([("It approved the plan.", p)])
    ['Minutes: The board met. It approved the plan.']
    """
    from rag.chunking import clauses

    out: list[str] = []
    for quote, passage in quotes:
        units = clauses(passage.text, passage.lang or "en")
        at = next((k for k, u in enumerate(units) if quote in u or u in quote), None)
        lead = units[at - 1] if at else ""
        text = f"{lead} {quote}".strip() if lead and lead not in quote else quote
        label = passage.label
        out.append(f"{label}: {text}" if label else text)
    return list(dict.fromkeys(out))


def build_relevance_messages(question: str, quotes: Sequence[str]) -> list[dict[str, str]]:
    """The check's two messages: fixed instructions, then the question and the quotes."""
    text = "\n\n".join(q.strip() for q in dict.fromkeys(quotes) if q.strip())
    user = (
        f"Passages:\n{text}\n\nQuestion: {question.strip()}\n\n"
        "Do the passages contain the answer to the question, or part of it?"
    )
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}]


def relevance_check(question: str, quotes: Sequence[str], backend: Backend) -> Relevance:
    """Ask ``backend`` whether ``quotes`` answer ``question`` (see the module doc)."""
    started = time.perf_counter()
    reply = backend.complete(
        Request(
            question=question,
            messages=build_relevance_messages(question, quotes),
            max_tokens=12,
            temperature=0.0,
            schema=RELEVANCE_SCHEMA,
            scaffold=_scaffold,
        )
    )
    ms = round((time.perf_counter() - started) * 1000, 1)
    return Relevance(answers=_verdict(reply) != "no", reply=reply.strip(), ms=ms)


def _scaffold(reply: str) -> str:
    """The fixed parts of a verdict (``Request.scaffold``): all but "yes" or "no".

    >>> _scaffold(""), _scaffold('{"answers": "no'), _scaffold('{"answers": "n')
    ('{"answers": "', '"}', '')
    """
    if not reply:
        return '{"answers": "'
    return '"}' if re.fullmatch(r'\{\s*"answers"\s*:\s*"(yes|no)', reply) else ""


def _verdict(reply: str) -> str | None:
    try:
        data = json.loads(reply.strip())
    except ValueError:
        return None
    value = data.get("answers") if isinstance(data, dict) else None
    return value if value in ("yes", "no") else None


def check_citations(
    question: str,
    citations: Sequence[Citation],
    context: Sequence[Passage],
    retrieved: Sequence[Passage],
    backend: Backend,
) -> Relevance:
    """``relevance_check`` over an answer's verified citations, each quote read in the
    retrieved chunk that holds it (its id), else in the context source it cites."""
    whole = {p.chunk_id: p for p in retrieved}
    pairs = [(c.quote, whole.get(c.chunk_id, context[c.n - 1])) for c in citations]
    return relevance_check(question, cited_evidence(pairs), backend)
