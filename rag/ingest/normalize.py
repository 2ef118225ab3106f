"""Turn raw extracted text into clean paragraphs: pure string functions, no I/O.

Text extracted from PDFs carries page artefacts: words hyphenated across page breaks,
paragraphs cut in two by a footnote block and a running header or footer, "blank page"
markers, barcodes, markdown emphasis that only marks typography. The pipeline is

    strip_terminal_codes -> split_paragraphs
        -> split_glued_headings + clean_inline (rag.ingest.markup)
        -> drop artefacts -> rejoin_broken

and ``normalize_paragraphs`` runs all of it:

    >>> [b.text for b in normalize_paragraphs("It ensures me-\\n\\naningful change.")]
    ['It ensures meaningful change.']
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from typing import NamedTuple

from rag.ingest.markup import HEADING_MARK as _HEADING_MARK
from rag.ingest.markup import clean_inline, split_glued_headings, strip_terminal_codes

__all__ = [
    "Block",
    "hyphenated_words",
    "is_artefact",
    "is_footnote",
    "is_open",
    "looks_like_heading",
    "normalize_paragraphs",
    "paragraph_label",
    "pretty_heading",
    "reflow_lines",
    "rejoin_broken",
    "split_paragraphs",
]

logger = logging.getLogger(__name__)


class Block(NamedTuple):
    """One normalized paragraph; ``heading`` is True for explicit (markdown) headings."""

    text: str
    heading: bool = False


# Characters that close a sentence; closing quotes/brackets are looked through.
_TERMINAL = ".!?;:…"
_CLOSERS = "\"'”’»)]"

# Footnotes and page furniture a page break may put between a paragraph's two parts.
_MAX_INTERRUPTIONS = 3
_BLANK_PAGE = re.compile(
    r"(this\s+)?page\s+(intentionally\s+)?(left\s+)?blank|blank\s+page|pagina\s+bianca"
    r"|page\s+blanche|\[?\s*blank\s*\]?",
    re.IGNORECASE,
)
_BARCODE = re.compile(r"\d{8,}")
_PAGE_NUMBER = re.compile(
    r"(-\s*)?\d{1,4}(\s*-)?|(page|pagina|p\.)\s*\d+(\s*(of|/|di|sur)\s*\d+)?", re.IGNORECASE
)
_FOOTNOTE = re.compile(r"^(\(\d{1,3}\)|⁽[⁰¹²³⁴⁵⁶⁷⁸⁹]+⁾|[¹²³⁴⁵⁶⁷⁸⁹][⁰¹²³⁴⁵⁶⁷⁸⁹]*)\s")
# "9.2.1. text" / "9.1 text" (some styles drop the final dot) / "7. text"; a bare "2022 text"
# is a year, not a label, so a single number needs its dot.
_LABEL = re.compile(r"^(\d{1,3}(?:\.\d{1,3})+)\.?\s|^(\d{1,3})\.\s")
_LIST_OR_TABLE = re.compile(r"^\s*([-*+>|]|\d+[.)])\s")
_CODE_MARK = re.compile(r"[{}<>=;#]|//")  # never in a running header, common in code
# A word opening running text: "time, ...", "l'hôtel ...", not "c) item" or "src/a.c".
_PROSE_START = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*['’]?(?:[\s,;:]|[.!?](?:\s|$)|$)")

_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\ufeff]")


def _ends_open(text: str) -> bool:
    stripped = text.rstrip().rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] not in _TERMINAL


def _starts_lower(text: str) -> bool:
    return bool(text) and text[0].isalpha() and text[0].islower()


_COMPOUND = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)+")
_SPLIT_LEFT = re.compile(r"([^\W\d_]+)-$")
_SPLIT_RIGHT = re.compile(r"[^\W\d_]+")


def hyphenated_words(text: str) -> frozenset[str]:
    """The hyphenated words ``text`` writes inside a line, case-folded: the evidence that
    a word split after its hyphen at a line end keeps the hyphen.

    >>> sorted(hyphenated_words("The man-db suite; a well-\\nknown tool"))
    ['man-db']
    """
    return frozenset(m.group(0).casefold() for m in _COMPOUND.finditer(text))


def _glue(left: str, right: str, compounds: frozenset[str] = frozenset()) -> str:
    """Join two pieces of one paragraph, undoing a hyphen split: ``me-`` + ``aningful``,
    unless the document writes the word with its hyphen elsewhere (``compounds``):
    ``man-`` + ``db`` stays ``man-db``."""
    if len(left) >= 2 and left[-1] == "-" and left[-2].isalpha() and _starts_lower(right):
        head, tail = _SPLIT_LEFT.search(left), _SPLIT_RIGHT.match(right)
        if head and tail and f"{head.group(1)}-{tail.group(0)}".casefold() in compounds:
            return left + right
        return left[:-1] + right
    return f"{left} {right}"


def _join_lines(
    lines: list[str], width: float, compounds: frozenset[str] = frozenset()
) -> list[str]:
    """Group consecutive lines into paragraphs (see ``reflow_lines``).

    A line continues the previous one when that one is at least ``width`` long (the
    text wrapped there) or stops mid-sentence before a lower-case start. A numbered
    label, footnote, list item or markdown heading always starts a new paragraph.
    """
    paragraphs: list[str] = []
    current = previous = ""
    for line in lines:
        fresh = bool(
            _LIST_OR_TABLE.match(line)
            or line.startswith("#")
            or paragraph_label(line)
            or is_footnote(line)
        )
        full = len(previous) >= width
        if current and not fresh and (full or (_ends_open(previous) and _starts_lower(line))):
            current = _glue(current, line, compounds)
        else:
            if current:
                paragraphs.append(current)
            current = line
        previous = line
    if current:
        paragraphs.append(current)
    return paragraphs


def split_paragraphs(text: str, compounds: frozenset[str] = frozenset()) -> list[str]:
    """Split text into one-line paragraphs.

    Blank lines always separate paragraphs. Inside a block, a line continues the
    previous one when that one stops mid-sentence and the line starts in lower case
    (``"la strada per\\nil mercato"``). In a hard-wrapped block (all lines of at most
    100 characters) a nearly full line also continues; a block of long lines is one
    paragraph per line, as news sites write them.

        >>> split_paragraphs("la strada per\\nil mercato\\n\\nNext\\n- item")
        ['la strada per il mercato', 'Next', '- item']
    """
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    paragraphs: list[str] = []
    for block in re.split(r"\n[ \t\u00a0]*\n", text):
        lines = [ln.strip() for ln in block.split("\n") if ln.strip()]
        longest = max((len(ln) for ln in lines), default=0)
        width = 0.75 * longest if longest <= 100 else float("inf")
        paragraphs.extend(_join_lines(lines, width, compounds))
    return paragraphs


def reflow_lines(page: str, compounds: frozenset[str] = frozenset()) -> str:
    """Rebuild paragraphs from the lines of one PDF page, separated by blank lines.

    A line continues the previous one when that one is nearly full width (text wraps
    there) or stops mid-sentence before a lower-case start; a short line ends a
    paragraph or is a heading. A numbered label or list item always starts afresh.

        >>> reflow_lines("Title\\nA line that is long enough to\\nwrap. It ends.\\n2. Next")
        'Title\\n\\nA line that is long enough to wrap. It ends.\\n\\n2. Next'
    """
    paragraphs: list[str] = []
    for block in re.split(r"\n[ \t\u00a0]*\n", page.replace("\r\n", "\n")):
        lines = [ln.strip() for ln in block.split("\n") if ln.strip()]
        width = 0.75 * max((len(ln) for ln in lines), default=0)
        paragraphs.extend(_join_lines(lines, width, compounds))
    return "\n\n".join(paragraphs)


def is_artefact(paragraph: str) -> bool:
    """True for text that is nothing but page furniture: blank-page markers, barcodes,
    page numbers. A running header says something, so it is moved, never dropped
    (``rejoin_broken``).

    >>> [is_artefact(p) for p in ("BLANK PAGE", "190122182980", "- 12 -", "Draft version")]
    [True, True, True, False]
    """
    text = paragraph.strip()
    if not text:
        return True
    return any(p.fullmatch(text) for p in (_BLANK_PAGE, _BARCODE, _PAGE_NUMBER))


def is_footnote(paragraph: str) -> bool:
    """True for a footnote paragraph: ``(1) Board minutes of ...`` or ``¹ Source ...``."""
    return bool(_FOOTNOTE.match(paragraph))


def is_open(paragraph: str) -> bool:
    """True when a paragraph stops mid-sentence (no terminal punctuation): ``"At the"``."""
    return _ends_open(paragraph)


def _continues(left: str, right: str) -> bool:
    """Does ``right`` continue the open paragraph ``left`` across a page break?

    Lower case always continues. A capital continues only a long body paragraph cut
    after a lower-case word ("... in the report of the" + "Audit Office, which ...") when
    the next one is a long body paragraph too, not a label, footnote or heading.
    """
    if _starts_lower(right):
        return True
    last_word = left.rsplit(" ", 1)[-1]
    return (
        len(left) >= 60
        and len(right) >= 60
        and not looks_like_heading(left)
        and not looks_like_heading(right)
        and last_word.isalpha()
        and last_word.islower()
        and right[0].isupper()
        and paragraph_label(right) is None
        and not is_footnote(right)
    )


def _is_furniture(paragraph: str) -> bool:
    """A short standalone line of words that a page break may print (running header or
    footer, page title): not a label, list item, markdown heading, code, lead-in ending
    in a colon, or the lower-case rest of a sentence."""
    text = paragraph.strip()
    return (
        0 < len(text) <= 100
        and len(text.split()) <= 14
        and not paragraph.startswith(_HEADING_MARK)
        and (text[0].isupper() or text[0].isdigit())
        and sum(c.isalpha() for c in text) >= 3
        and not text.endswith(":")
        and not _CODE_MARK.search(text)
        and paragraph_label(text) is None
        and not _LIST_OR_TABLE.match(text)
    )


def _cut_prose(paragraph: str) -> bool:
    """A body paragraph cut mid-sentence: a line or more (it filled a page's bottom), not
    a heading, ending in a word, a number, a comma or a hyphen (not a path or code)."""
    text = paragraph.rstrip()
    return (
        len(text) >= 60
        and not looks_like_heading(text)
        and (text[-1].isalnum() or text[-1] in ",-–")
    )


def _continuation(paragraphs: list[str], i: int, left: str, repeated: set[str]) -> int | None:
    """Index of the paragraph continuing the open ``left``: ``paragraphs[i]``, or one after
    at most ``_MAX_INTERRUPTIONS`` footnotes and short lines (``_is_furniture``).

    A footnote is evidence of a page break; a short line is not (a wrapped sentence tail
    or a definition list looks the same). So a short line is looked past only when the
    cut also holds a footnote or the line recurs verbatim in the document (``repeated``),
    as a running header does, and only for a body paragraph cut after a word
    (``_cut_prose``) and a lower-case word after it (not "c) item" or "path/to").
    """
    footnote = furniture = False
    for k in range(i, min(len(paragraphs), i + _MAX_INTERRUPTIONS + 1)):
        right = paragraphs[k]
        if furniture:
            evidence = footnote or all(p in repeated for p in paragraphs[i:k] if not is_footnote(p))
            prose = _starts_lower(right) and _PROSE_START.match(right)
            if evidence and prose and _cut_prose(left):
                return k
        elif _continues(left, right):
            return k
        if is_footnote(right):
            footnote = True
        elif _is_furniture(right):
            furniture = True
        else:
            return None
    return None


def rejoin_broken(paragraphs: list[str], compounds: frozenset[str] = frozenset()) -> list[str]:
    """Rejoin paragraphs cut by a page break; what the break put in the cut comes after.

    A paragraph that stops mid-sentence continues with the next one starting in lower
    case (``_continues`` for a capital). Between the two halves a page break may print
    up to three paragraphs: footnotes, and a running header or footer (a short line
    that recurs in the document, or that follows a footnote). They are moved after the
    rejoined paragraph, not removed: a short line may be content, and kept text can still
    be read. A trailing ``letter-`` is a hyphenated word:

        >>> cut = "2. The council approved the budget after a long debate on the"
        >>> out = rejoin_broken([cut, "(1) Minutes of 3 May.", "Draft for comment", "next day."])
        >>> out[0] == cut + " next day.", out[1:]
        (True, ['(1) Minutes of 3 May.', 'Draft for comment'])
        >>> rejoin_broken(["a well-known ex-", "ample."])
        ['a well-known example.']
        >>> rejoin_broken(["The bridge is a well-known landmark.", "Next one."])
        ['The bridge is a well-known landmark.', 'Next one.']
    """
    repeated = {p for p, n in Counter(paragraphs).items() if n > 1}
    out: list[str] = []
    i = 0
    while i < len(paragraphs):
        current = paragraphs[i]
        i += 1
        moved: list[str] = []
        while not current.startswith(_HEADING_MARK) and is_open(current):
            j = _continuation(paragraphs, i, current, repeated)
            if j is None:
                break
            moved.extend(paragraphs[i:j])
            current = _glue(current, paragraphs[j], compounds)
            i = j + 1
        out.append(current)
        out.extend(moved)
    return out


def paragraph_label(paragraph: str) -> str | None:
    """The numbered label a paragraph starts with, without its trailing dot.

    >>> [paragraph_label(p) for p in ("9.2.1. improve", "9.1 usa", "7. The", "2022 was")]
    ['9.2.1', '9.1', '7', None]
    """
    match = _LABEL.match(paragraph)
    if not match:
        return None
    return match.group(1) or match.group(2)


def looks_like_heading(paragraph: str) -> bool:
    """A short line with no closing punctuation that starts with a capital letter.

    >>> [looks_like_heading(p) for p in ("CHAPTER 3 (2024)", "Photo credit: X", "It is.")]
    [True, False, False]
    """
    text = paragraph.strip()
    if not text or len(text) > 120 or len(text.split()) > 16:
        return False
    if not (text[0].isupper() or text[0].isdigit()) or paragraph_label(text) or is_footnote(text):
        return False
    return ": " not in text and text[-1] not in _TERMINAL + ","


def pretty_heading(heading: str) -> str:
    """Sentence case for headings printed in capitals, others unchanged.

    >>> pretty_heading("RÉSUMÉ DU RAPPORT (2024)"), pretty_heading("A Comprehensive Approach")
    ('Résumé du rapport (2024)', 'A Comprehensive Approach')
    """
    letters = [c for c in heading if c.isalpha()]
    if letters and all(c.isupper() for c in letters):
        return heading[:1] + heading[1:].lower()
    return heading


def normalize_paragraphs(text: str) -> list[Block]:
    """Run the whole pipeline on raw text (markdown already reduced by ``strip_markdown``).

    Returns clean paragraphs in reading order; explicit ``# headings`` come back with
    ``heading=True`` and without their marker.
    """
    text = strip_terminal_codes(text)
    compounds = hyphenated_words(text)
    pieces: list[str] = []
    for raw in split_paragraphs(text, compounds):
        for part in split_glued_headings(raw):
            explicit = part.startswith(_HEADING_MARK)
            cleaned = clean_inline(part[len(_HEADING_MARK) :] if explicit else part)
            if is_artefact(cleaned):
                logger.debug("dropped page artefact %r", cleaned[:40])
                continue
            pieces.append(_HEADING_MARK + cleaned if explicit else cleaned)
    blocks = []
    for piece in rejoin_broken(pieces, compounds):
        if piece.startswith(_HEADING_MARK):
            blocks.append(Block(piece[len(_HEADING_MARK) :], heading=True))
        else:
            blocks.append(Block(piece))
    return blocks
