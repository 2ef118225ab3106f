"""Turn raw extracted text into clean paragraphs: pure string functions, no I/O.

Text extracted from PDFs carries page artefacts: words hyphenated across page breaks,
paragraphs cut in two by a footnote block and a running header, "blank page" markers,
barcodes, markdown emphasis that only marks typography. The pipeline is

    split_paragraphs -> split_glued_headings + clean_inline -> drop artefacts -> rejoin_broken

and ``normalize_paragraphs`` runs all of it:

    >>> [b.text for b in normalize_paragraphs("It ensures me-\\n\\naningful change.")]
    ['It ensures meaningful change.']
"""

from __future__ import annotations

import logging
import re
from typing import NamedTuple

__all__ = [
    "Block",
    "clean_inline",
    "is_artefact",
    "is_footnote",
    "is_open",
    "looks_like_heading",
    "normalize_paragraphs",
    "paragraph_label",
    "pretty_heading",
    "reflow_lines",
    "rejoin_broken",
    "split_glued_headings",
    "split_paragraphs",
    "strip_markdown",
    "strip_running_header",
]

logger = logging.getLogger(__name__)


class Block(NamedTuple):
    """One normalized paragraph; ``heading`` is True for explicit (markdown) headings."""

    text: str
    heading: bool = False


# Characters that close a sentence; closing quotes/brackets are looked through.
_TERMINAL = ".!?;:…"
_CLOSERS = "\"'”’»)]"
_HEADING_MARK = "# "  # explicit headings travel through the pipeline with this prefix

# Running headers printed on every page of Council of Europe PDFs; the subtitle
# "Provisional version" alone is real content and is kept.
_RUNNING_HEADERS = (
    "provisional version subject to editorial review.",
    "version provisoire sous réserve de révision éditoriale.",
    "versione provvisoria soggetta a revisione editoriale.",
)
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
# "9.2.1. text" / "9.1 text" (Italian drops the final dot) / "7. text"; a bare "2022 text"
# is a year, not a label, so a single number needs its dot.
_LABEL = re.compile(r"^(\d{1,3}(?:\.\d{1,3})+)\.?\s|^(\d{1,3})\.\s")
_LIST_OR_TABLE = re.compile(r"^\s*([-*+>|]|\d+[.)])\s")

_EMPH_BOLD = re.compile(r"(\*\*|__)(\S(?:.*?\S)?)\1")
_EMPH_STAR = re.compile(r"(?<![\w*])\*(\S(?:[^*]*?\S)?)\*(?![\w*])")
_EMPH_UNDERSCORE = re.compile(r"(?<![\w_])_(\S(?:[^_]*?\S)?)_(?![\w_])")
_FOOTNOTE_REF = re.compile(r"\s*(⁽[⁰¹²³⁴⁵⁶⁷⁸⁹]+⁾|\[\^\w+\])")
_CARET_ORDINAL = re.compile(r"(\d)\^([^\W\d_]{1,4})\b")
_GLUED = re.compile(r"^(?P<a>[^*]*[^\s*])\*\*(?P<b>[^*]+)\*\*\s*$")
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\ufeff]")


def _ends_open(text: str) -> bool:
    stripped = text.rstrip().rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] not in _TERMINAL


def _starts_lower(text: str) -> bool:
    return bool(text) and text[0].isalpha() and text[0].islower()


def _glue(left: str, right: str) -> str:
    """Join two pieces of one paragraph, undoing a hyphen split: ``me-`` + ``aningful``."""
    if len(left) >= 2 and left[-1] == "-" and left[-2].isalpha() and _starts_lower(right):
        return left[:-1] + right
    return f"{left} {right}"


def strip_markdown(text: str) -> str:
    """Reduce markdown to plain text, keeping headings as ``# text`` paragraphs.

    Links keep their text, code-fence markers and link definitions go, headings stand
    alone between blank lines:

        >>> strip_markdown("## Intro\\nSee [the site](https://x.org).\\n```\\ncode\\n```")
        '\\n\\n# Intro\\n\\nSee the site.\\ncode'
    """
    out: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if re.match(r"^\s*(```|~~~)[\w+-]*\s*$", line):
            continue  # fence markers only; the quoted text is content
        if re.match(r"^\s*\[[^\]]+\]:\s*\S+", line) or re.match(r"^\s*([-*_]\s*){3,}$", line):
            continue  # link definitions, horizontal rules
        heading = re.match(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            out.append(f"\n\n{_HEADING_MARK}{heading.group(1)}\n\n")
            continue
        line = re.sub(r"^\s{0,3}>\s?", "", line)
        out.append(line)
    joined = "\n".join(out)
    joined = re.sub(r"<!--.*?-->", "", joined, flags=re.DOTALL)
    joined = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", joined)
    joined = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", joined)
    joined = re.sub(r"\[([^\]]+)\]\[[^\]]*\]", r"\1", joined)
    joined = re.sub(r"<(https?://[^>\s]+)>", r"\1", joined)
    joined = re.sub(r"`([^`\n]+)`", r"\1", joined)
    return re.sub(r"\n{3,}", "\n\n", joined).replace("\n\n\n", "\n\n")


def _join_lines(lines: list[str], width: float) -> list[str]:
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
            current = _glue(current, line)
        else:
            if current:
                paragraphs.append(current)
            current = line
        previous = line
    if current:
        paragraphs.append(current)
    return paragraphs


def split_paragraphs(text: str) -> list[str]:
    """Split text into one-line paragraphs.

    Blank lines always separate paragraphs. Inside a block, a line continues the
    previous one when that one stops mid-sentence and the line starts in lower case
    (``"sostenere il Kazakistan\\nnel proseguimento"``). In a hard-wrapped block (all
    lines of at most 100 characters) a nearly full line also continues; a block of
    long lines is one paragraph per line, as news sites write them.

        >>> split_paragraphs("sostenere il Kazakistan\\nnel proseguimento\\n\\nNext\\n- item")
        ['sostenere il Kazakistan nel proseguimento', 'Next', '- item']
    """
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    paragraphs: list[str] = []
    for block in re.split(r"\n[ \t\u00a0]*\n", text):
        lines = [ln.strip() for ln in block.split("\n") if ln.strip()]
        longest = max((len(ln) for ln in lines), default=0)
        width = 0.75 * longest if longest <= 100 else float("inf")
        paragraphs.extend(_join_lines(lines, width))
    return paragraphs


def reflow_lines(page: str) -> str:
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
        paragraphs.extend(_join_lines(lines, width))
    return "\n\n".join(paragraphs)


def split_glued_headings(paragraph: str) -> list[str]:
    """Split a heading glued to a bold heading by PDF extraction into two.

    >>> split_glued_headings("ASSEMBLEA PARLAMENTARE**RISOLUZIONE 2616 (2025)**")
    ['ASSEMBLEA PARLAMENTARE', 'RISOLUZIONE 2616 (2025)']
    >>> split_glued_headings("Doc. **XII-bis**")
    ['Doc. **XII-bis**']
    """
    match = _GLUED.match(paragraph)
    if not match:
        return [paragraph]
    return [match.group("a").strip(), match.group("b").strip()]


def clean_inline(paragraph: str) -> str:
    """Remove typographic artefacts inside a paragraph and normalize its whitespace.

    >>> clean_inline("Doc. **XII-bis**  RESOLUTION 2616 ⁽¹⁾ (31^e séance) *Assembly debate*")
    'Doc. XII-bis RESOLUTION 2616 (31e séance) Assembly debate'
    """
    text = _EMPH_BOLD.sub(r"\2", paragraph)
    text = _EMPH_STAR.sub(r"\1", text)
    text = _EMPH_UNDERSCORE.sub(r"\1", text)
    text = _FOOTNOTE_REF.sub("", text)
    text = _CARET_ORDINAL.sub(r"\1\2", text)
    return re.sub(r"\s+", " ", text).strip()


def strip_running_header(paragraph: str) -> str:
    """Drop a running header printed at the end of a paragraph (a footnote, usually).

    >>> strip_running_header("(1) Testo. Versione provvisoria soggetta a revisione editoriale.")
    '(1) Testo.'
    """
    lowered = paragraph.lower()
    for header in _RUNNING_HEADERS:
        if lowered.endswith(header) and len(paragraph) > len(header):
            return paragraph[: -len(header)].rstrip()
    return paragraph


def is_artefact(paragraph: str) -> bool:
    """True for page furniture: running headers, blank-page markers, barcodes, page numbers.

    >>> [is_artefact(p) for p in ("PAGINA BIANCA", "190122182980", "12", "Provisional version")]
    [True, True, True, False]
    """
    text = paragraph.strip()
    if not text:
        return True
    if text.lower() in _RUNNING_HEADERS:
        return True
    return any(p.fullmatch(text) for p in (_BLANK_PAGE, _BARCODE, _PAGE_NUMBER))


def is_footnote(paragraph: str) -> bool:
    """True for a footnote paragraph: ``(1) Assembly debate on ...`` or ``¹ Source ...``."""
    return bool(_FOOTNOTE.match(paragraph))


def is_open(paragraph: str) -> bool:
    """True when a paragraph stops mid-sentence (no terminal punctuation): ``"At the"``."""
    return _ends_open(paragraph)


def _continues(left: str, right: str) -> bool:
    """Does ``right`` continue the open paragraph ``left`` across a page break?

    Lower case always continues. A capital continues only a long body paragraph cut
    after a lower-case word ("... di vicinato del" + "Consiglio d'Europa, ...") when the
    next one is a long body paragraph too, not a label, footnote or heading.
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


def rejoin_broken(paragraphs: list[str]) -> list[str]:
    """Rejoin paragraphs cut by a page break, moving footnotes found in the cut after them.

    A paragraph that stops mid-sentence continues with the next one starting in lower
    case, possibly after up to three footnote paragraphs; a trailing ``letter-`` is a
    hyphenated word:

        >>> rejoin_broken(["4. At the", "(1) Debate on 30 September.", "same time, it deplores."])
        ['4. At the same time, it deplores.', '(1) Debate on 30 September.']
        >>> rejoin_broken(["contro l'U-", "craina."])
        ["contro l'Ucraina."]
        >>> rejoin_broken(["Kazakhstan is a Euro-Asian country.", "Next one."])
        ['Kazakhstan is a Euro-Asian country.', 'Next one.']
    """
    out: list[str] = []
    i = 0
    while i < len(paragraphs):
        current = paragraphs[i]
        i += 1
        moved: list[str] = []
        while not current.startswith(_HEADING_MARK) and is_open(current):
            j = i
            while j < len(paragraphs) and j - i < 3 and is_footnote(paragraphs[j]):
                j += 1
            if j < len(paragraphs) and _continues(current, paragraphs[j]):
                moved.extend(paragraphs[i:j])
                current = _glue(current, paragraphs[j])
                i = j + 1
            else:
                break
        out.append(current)
        out.extend(moved)
    return out


def paragraph_label(paragraph: str) -> str | None:
    """The numbered label a paragraph starts with, without its trailing dot.

    >>> [paragraph_label(p) for p in ("9.2.1. accelerate", "9.1 usare", "7. The", "2022 was")]
    ['9.2.1', '9.1', '7', None]
    """
    match = _LABEL.match(paragraph)
    if not match:
        return None
    return match.group(1) or match.group(2)


def looks_like_heading(paragraph: str) -> bool:
    """A short line with no closing punctuation that starts with a capital letter.

    >>> [looks_like_heading(p) for p in ("RESOLUTION 2616 (2025)", "Photo credit: X", "It is.")]
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

    >>> pretty_heading("RÉSOLUTION 2616 (2025)"), pretty_heading("A Comprehensive Approach")
    ('Résolution 2616 (2025)', 'A Comprehensive Approach')
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
    pieces: list[str] = []
    for raw in split_paragraphs(text):
        for part in split_glued_headings(raw):
            explicit = part.startswith(_HEADING_MARK)
            cleaned = clean_inline(part[len(_HEADING_MARK) :] if explicit else part)
            cleaned = strip_running_header(cleaned)
            if is_artefact(cleaned):
                logger.debug("dropped page artefact %r", cleaned[:40])
                continue
            pieces.append(_HEADING_MARK + cleaned if explicit else cleaned)
    blocks = []
    for piece in rejoin_broken(pieces):
        if piece.startswith(_HEADING_MARK):
            blocks.append(Block(piece[len(_HEADING_MARK) :], heading=True))
        else:
            blocks.append(Block(piece))
    return blocks
