"""Structured answers: the model replies with claims, each tied to the source it comes from.

Instead of free text with ``[n]`` markers that regexes must find and repair, an LLM backend
that supports structured output is constrained (llama.cpp JSON schema grammar, or
``response_format`` on OpenAI-compatible servers) to reply

    {"claims": [{"source": 2, "text": "The contract was signed in Lyon."}]}

where ``source`` can only be one of the numbers of the sources it was shown. Each claim
becomes one sentence of the answer followed by its marker, and then goes through the same
verification as any other answer (``rag.citations.verify``):

    >>> render([Claim(2, "It was signed in Lyon.")])
    'It was signed in Lyon [2].'

``claims: []`` is the model saying the sources don't answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from rag.grounding.markers import strip_markers

__all__ = ["Claim", "ClaimStream", "parse", "render", "scaffold", "schema"]

#: A short answer is a precise one; more claims cost generation time (~20 tokens/s).
MAX_CLAIMS = 3


@dataclass(frozen=True)
class Claim:
    """One answer sentence and the number of the source it is taken from."""

    source: int
    text: str


def schema(n_sources: int, *, min_claims: int = 0) -> dict[str, Any]:
    """The JSON schema of a reply over ``n_sources`` numbered sources.

    ``source`` is an enum of 1..n: under a grammar the model cannot cite a source that
    does not exist. ``source`` comes before ``text`` so the model picks its evidence first.
    """
    return {
        "type": "object",
        "properties": {
            "claims": {
                "type": "array",
                "minItems": min_claims,
                "maxItems": MAX_CLAIMS,
                "items": {
                    "type": "object",
                    "properties": {
                        "source": {"type": "integer", "enum": list(range(1, n_sources + 1))},
                        "text": {"type": "string"},
                    },
                    "required": ["source", "text"],
                },
            }
        },
        "required": ["claims"],
    }


_ITEM_OPENED = re.compile(r'[\[,]\s*\{"$')  # an item's first key has just opened
_SOURCE_GIVEN = re.compile(r'"source"\s*:\s*(\d+)$')


def scaffold(n_sources: int) -> Callable[[str], str]:
    """What a reply under ``schema(n_sources)`` must go on with after ``reply``, in the
    schema's own spacing, or "" where the model has a choice (``Request.scaffold``).

    The fixed parts are the opening up to the claims list, an item's ``source`` key, and
    what follows a source number that cannot grow into another one. The grammar accepts
    each whatever spacing the model chose before it.

    >>> nxt = scaffold(3)
    >>> nxt(""), nxt('{"claims": [{"'), nxt('{"claims":[{"source":2')
    ('{"claims":', 'source": ', ', "text": "')
    >>> nxt('{"claims": ['), nxt('{"claims": [{"source": 2, "text": "A')
    ('', '')
    """

    def next_text(reply: str) -> str:
        if not reply:
            return '{"claims":'
        if _ITEM_OPENED.search(reply) and not _in_string(reply[:-1]):
            return 'source": '
        given = _SOURCE_GIVEN.search(reply)
        if given and int(given.group(1)) * 10 > n_sources and not _in_string(reply):
            return ', "text": "'
        return ""

    return next_text


def _in_string(text: str) -> bool:
    """Whether ``text``, the start of a JSON document, ends inside a string."""
    inside = escaped = False
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = inside
        elif ch == '"':
            inside = not inside
    return inside


_CLAIMS_OPEN = re.compile(r'^\s*\{\s*"claims"\s*:\s*\[')
_BETWEEN_ITEMS = re.compile(r"[\s,]*")


def parse(reply: str) -> list[Claim] | None:
    """The claims of a reply, or None when it is not the JSON asked for (a server that
    ignored ``response_format``: the caller then reads it as free text).

    A reply cut off by the token limit keeps its complete claims: the grammar holds the
    model to the structure, not to a length, and a long claim repeated for each source
    runs out of tokens before the closing brackets.

    >>> parse('{"claims": [{"source": 1, "text": "A."}, {"source": 2, "text": "B, an')
    [Claim(source=1, text='A.')]
    """
    text = reply.strip()
    if text.startswith("```"):
        text = re.sub(r"^```\w*\s*|\s*```$", "", text)
    try:
        data = json.loads(text)
    except ValueError:
        return _complete_items(text)
    items = data.get("claims") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return None
    return _claims(items)


def _complete_items(text: str) -> list[Claim] | None:
    """The whole items of a ``{"claims": [...`` reply that ends mid-item."""
    opened = _CLAIMS_OPEN.match(text)
    if opened is None:
        return None
    decoder = json.JSONDecoder()
    items: list[Any] = []
    pos = opened.end()
    while True:
        pos = _BETWEEN_ITEMS.match(text, pos).end()  # type: ignore[union-attr]
        try:
            item, pos = decoder.raw_decode(text, pos)
        except ValueError:
            break
        items.append(item)
    return _claims(items)


def _claims(items: list[Any]) -> list[Claim]:
    """Well-formed items as claims; the same text from several sources is one claim
    (the first source: verification re-points it when another one supports it)."""
    claims: list[Claim] = []
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict):
            continue
        try:
            n = int(item.get("source"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        body = str(item.get("text") or "").strip()
        if body and body.casefold() not in seen:
            seen.add(body.casefold())
            claims.append(Claim(n, body))
    return claims


def render(claims: Iterable[Claim]) -> str:
    """Claims as answer text: each sentence closed by its source's marker."""
    out = []
    for c in claims:
        body = strip_markers(c.text)
        end = body[-1] if body and body[-1] in ".!?" else "."
        body = body[:-1].rstrip() if body and body[-1] in ".!?" else body
        if body:
            out.append(f"{body} [{c.source}]{end}")
    return " ".join(out)


class ClaimStream:
    """Turns the deltas of a JSON reply into deltas of readable text, as they arrive.

    Only the ``"text"`` values are shown; the JSON around them is not. The final text
    comes from ``parse`` + ``render`` of the whole reply, not from these deltas.
    """

    _OPEN = re.compile(r'"text"\s*:\s*"')

    def __init__(self) -> None:
        self.raw = ""
        self._pos = 0  # how far ``raw`` has been scanned
        self._inside = False
        self._escape = False
        self._count = 0

    def feed(self, delta: str) -> Iterator[str]:
        """Yield the visible text that ``delta`` adds."""
        self.raw += delta
        while self._pos < len(self.raw):
            if not self._inside:
                m = self._OPEN.search(self.raw, self._pos)
                if m is None:
                    # keep a tail that may be the start of '"text": "'
                    self._pos = max(self._pos, len(self.raw) - 12)
                    return
                self._pos, self._inside = m.end(), True
                if self._count:
                    yield " "
                self._count += 1
                continue
            ch = self.raw[self._pos]
            self._pos += 1
            if self._escape:
                self._escape = False
                if ch != "u":  # a \uXXXX escape shows up in the final text only
                    yield json.loads(f'"\\{ch}"') if ch in '"\\/bfnrt' else ch
            elif ch == "\\":
                self._escape = True
            elif ch == '"':
                self._inside = False
            else:
                yield ch
