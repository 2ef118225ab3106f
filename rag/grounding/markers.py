"""Citation markers: the one pattern for ``[n]`` (``[1]``, ``[1, 2]``, ``[1; 2]``), the
styles small models write instead of it, and the edits every reader of an answer needs.

    >>> normalize_markers("It opened in 1999 [Source 2].")
    'It opened in 1999 [2].'
    >>> cited_numbers("In May [1, 3] and June [2].")
    [1, 3, 2]
    >>> strip_markers("In May [1, 3].")
    'In May.'
"""

from __future__ import annotations

import re

__all__ = [
    "MARKER",
    "ONE_MARKER",
    "cited_numbers",
    "normalize_markers",
    "renumber",
    "strip_markers",
]

_NUMBERS = r"\d+(?:\s*[,;]\s*\d+)*"
#: One marker, as a pattern to build others with.
ONE_MARKER = rf"\[{_NUMBERS}\]"
#: One marker; group 1 holds its numbers ("1, 3").
MARKER = re.compile(rf"\[({_NUMBERS})\]")

# Citation styles small models produce instead of [n]; each becomes [n].
_VARIANTS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\[([^\]\n]{1,80})\]\((?:#|source:?\s*)?(\d+)\)"), r"\1 [\2]"),  # [text](3)
    (re.compile(r"\[(\d+)\]\([^)\n]*\)"), r"[\1]"),  # [3](url)
    (re.compile(r"\[\^(\d+)\]"), r"[\1]"),  # footnote [^3]
    (
        re.compile(
            r"[\[(]\s*(?:sources?|passages?|docs?|documents?|fonte|réf)\s*[:#]?\s*\[?(\d+)\]?"
            r"[^\])\n]{0,30}[\])]",
            re.IGNORECASE,
        ),
        r"[\1]",
    ),  # [Source 3], (source [3] on page 5)
    (
        re.compile(
            r"\b(?:sources?|passages?)\s*\[(\d+)\](?:\s*(?:on|at)\s*page\s*\d+)?", re.IGNORECASE
        ),
        r"[\1]",
    ),  # source [3] on page 5
    (re.compile(r"【(\d+)[^】]*】"), r"[\1]"),
]


def normalize_markers(text: str) -> str:
    """Rewrite other citation styles to ``[n]``: "see [Source 2]" -> "see [2]"."""
    for pattern, repl in _VARIANTS:
        text = pattern.sub(repl, text)
    return text


def cited_numbers(segment: str) -> list[int]:
    """The numbers of every marker in ``segment``, in order."""
    return [int(n) for m in MARKER.finditer(segment) for n in re.split(r"\s*[,;]\s*", m[1])]


def renumber(text: str, mapping: dict[int, int]) -> str:
    """Point markers at new passage numbers: renumber("In May [1, 2].", {1: 3, 2: 4})
    -> "In May [3, 4]."; numbers missing from ``mapping`` are kept."""

    def one(m: re.Match[str]) -> str:
        return "[" + ", ".join(str(mapping.get(n, n)) for n in cited_numbers(m[0])) + "]"

    return MARKER.sub(one, text)


def strip_markers(segment: str) -> str:
    """``segment`` without its ``[n]`` markers: "In May [1]." -> "In May."; "A [1] and B"
    -> "A and B" (one space)."""
    bare = re.sub(r"[ \t]{2,}", " ", MARKER.sub("", segment))
    return re.sub(r"\s+([.!?;:,])", r"\1", bare).strip()
