"""Read one file of the corpus into a normalized ``Document``.

Each format only turns bytes into raw text plus metadata; ``normalize`` cleans the text,
``lang`` assigns languages, and ``build_document`` computes offsets, labels and headings.
Every failure a user can cause raises ``IngestError`` with a one-line reason naming the
file, so a caller can print it and carry on with the next file.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.errors import IngestError
from rag.ingest.markup import strip_markdown
from rag.ingest.normalize import (
    Block,
    hyphenated_words,
    looks_like_heading,
    normalize_paragraphs,
    paragraph_label,
    pretty_heading,
    reflow_lines,
)
from rag.text.lang import assign_languages
from rag.types import Document, Paragraph

__all__ = ["SUPPORTED_SUFFIXES", "build_document", "discover", "load_document", "make_title"]

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".md", ".json", ".html", ".htm", ".pdf"})

_BODY_FIELDS = ("body_md", "body", "text", "content")
_METADATA_FIELDS = ("title", "url", "published_at", "canonical_source")
# " date 2024-03-05 The ferry line..." : a date stamp some scrapers put before the text.
_DATE_MARKER = re.compile(
    r"\A\s*date:?\s+(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2})?\S*)?\s+", re.IGNORECASE
)
# Markdown front matter: "---\ntitle: ...\ndate: 2025-01-31\n---".
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([\w-]+)""", re.IGNORECASE)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_JUNK_PDF_TITLE = re.compile(
    r"^(microsoft \w+ - |untitled\b)|\.(docx?|pdf|rtf|odt|indd|tex)$", re.IGNORECASE
)
# "DIRECTIVE 12 (2024)": a heading that names a numbered instrument; it stays the
# heading of all the numbered paragraphs that follow in its language section.
_IDENTIFIER_HEADING = re.compile(r"\d+\s*\(\d{4}\)")


def discover(root: Path) -> list[Path]:
    """All files under ``root``, recursively, sorted, skipping hidden files and folders.

    Unsupported files are listed too: ``load_document`` reports them one by one.

    Raises:
        IngestError: ``root`` does not exist or is not a folder.
    """
    root = Path(root)
    if not root.is_dir():
        raise IngestError(
            f"Corpus folder {root} does not exist: create it or set RAG_CORPUS_DIR"
            if not root.exists()
            else f"Corpus folder {root} is not a directory: create it or set RAG_CORPUS_DIR"
        )
    files = [
        path
        for path in root.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts)
    ]
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def load_document(path: Path, root: Path) -> Document:
    """Load and normalize one file; ``Document.source`` is its path relative to ``root``.

    Example:
        >>> root = Path("notes")
        >>> doc = load_document(root / "2024/ferry.txt", root)  # doctest: +SKIP
        >>> doc.source, doc.date  # doctest: +SKIP
        ('2024/ferry.txt', '2024-03-05')

    Raises:
        IngestError: unsupported suffix, unreadable or binary file, malformed JSON, PDF
            without text, or nothing left after normalization. The message names the file.
    """
    path, root = Path(path), Path(root)
    try:
        source = path.relative_to(root).as_posix()
    except ValueError:
        source = path.name
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise IngestError(f"{source}: unsupported file type {suffix or '(none)'}; use {supported}")

    meta: dict[str, Any] = {}
    title = date = None
    if suffix == ".pdf":
        text, title = _read_pdf(path, source)
    else:
        raw = _read_text(path, source, html=suffix in (".html", ".htm"))
        if suffix in (".html", ".htm"):
            text, title, date = _read_html(raw, source)
        elif suffix == ".json" or (raw.lstrip().startswith("{") and _json_article(raw)):
            text, meta = _read_json_article(raw, source)
            title, date = meta.get("title"), _iso_date(meta.get("published_at"))
        else:
            text, date = _split_date_marker(raw)
            text, front = _split_front_matter(text)
            title, date = front.get("title") or None, _iso_date(front.get("date")) or date
            if suffix == ".md" or re.search(r"(?m)^#{1,6}\s", text):
                text = strip_markdown(text)

    blocks = normalize_paragraphs(text)
    if not blocks:
        raise IngestError(f"{source}: the file is empty (no text left after cleaning); remove it")
    return build_document(source, blocks, title=title, date=date, metadata=meta)


def build_document(
    source: str,
    blocks: Sequence[Block],
    *,
    title: str | None = None,
    date: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> Document:
    """Assemble a ``Document`` from clean paragraphs: languages, labels, headings, offsets.

    Paragraphs are joined with a blank line, so ``doc.text[p.start:p.end] == p.text``.
    A paragraph's heading is the nearest heading before it in its language section; a
    heading naming a numbered instrument ("Directive 12 (2024)") wins over later
    minor headings ("GENERAL PROVISIONS") of the same section.
    """
    texts = [b.text for b in blocks]
    langs = assign_languages(texts)
    paragraphs: list[Paragraph] = []
    offset = 0
    section = identifier = nearest = None
    for block, lang in zip(blocks, langs, strict=True):
        if lang != section:
            section, identifier, nearest = lang, None, None
        if block.heading or looks_like_heading(block.text):
            nearest = pretty_heading(block.text)
            if _IDENTIFIER_HEADING.search(block.text):
                identifier = nearest
        end = offset + len(block.text)
        paragraphs.append(
            Paragraph(
                text=block.text,
                start=offset,
                end=end,
                lang=lang,
                label=paragraph_label(block.text),
                heading=identifier or nearest,
            )
        )
        offset = end + 2
    return Document(
        source=source,
        text="\n\n".join(texts),
        title=title or make_title(blocks),
        paragraphs=tuple(paragraphs),
        date=date,
        metadata=dict(metadata or {}),
    )


def make_title(blocks: Sequence[Block], limit: int = 120) -> str:
    """A short title: a numbered-instrument heading, else the first markdown heading,
    else the first paragraph, cut to its first sentence and ``limit`` characters.

        >>> make_title([Block("LISBON – Rain fell. More text follows.")], limit=20)
        'LISBON – Rain fell.'
    """
    for block in blocks:
        if looks_like_heading(block.text) and _IDENTIFIER_HEADING.search(block.text):
            return pretty_heading(block.text)
    for block in blocks:
        if block.heading:
            return block.text
    first = blocks[0].text if blocks else ""
    if len(first) > limit:
        match = re.match(r"(.+?[.!?])\s", first)
        first = match.group(1) if match else first
    if len(first) > limit:
        first = first[:limit].rsplit(" ", 1)[0] + "…"
    return first


def _read_text(path: Path, source: str, *, html: bool = False) -> str:
    """Decoded text of a file; binary or undecodable content is an error.

    Text must be UTF-8 (or UTF-16 with a BOM); an HTML page may declare its charset;
    anything else that decodes as Windows-1252 without control characters is read so.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"{source}: cannot read the file ({exc.strerror or exc})") from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        raise IngestError(f"{source}: looks like a binary file (NUL bytes), not text; remove it")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        declared = _CHARSET.search(data[:4096]) if html else None
        if declared:
            try:
                return data.decode(declared.group(1).decode("ascii"))
            except (LookupError, UnicodeDecodeError):
                pass
        legacy = _legacy_text(data)
        if legacy is not None:
            logger.info("%s: not UTF-8, read as Windows-1252", source)
            return legacy
        raise IngestError(
            f"{source}: is not UTF-8 text (byte {exc.start}) nor Windows-1252; re-save it as UTF-8"
        ) from exc


def _legacy_text(data: bytes) -> str | None:
    """``data`` decoded as Windows-1252 (a superset of Latin-1's printable characters,
    what older Western European documents use), or None when it does not look like text:
    bytes that code page leaves undefined, or control characters beyond 1 in 1000."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    controls = sum(1 for ch in text if ch < " " and ch not in "\t\n\r\f")
    return text if controls <= len(text) // 1000 else None


def _split_date_marker(text: str) -> tuple[str, str | None]:
    """Remove a leading ``date YYYY-MM-DD`` stamp and return it.

    >>> _split_date_marker(" date 2024-03-05 The ferry line")
    ('The ferry line', '2024-03-05')
    """
    match = _DATE_MARKER.match(text)
    if not match:
        return text, None
    return text[match.end() :], match.group(1)


def _split_front_matter(text: str) -> tuple[str, dict[str, str]]:
    """Remove markdown front matter and return its ``key: value`` pairs.

    >>> _split_front_matter("---\\ntitle: 'Notes'\\ndate: 2025-01-31\\n---\\nBody")
    ('Body', {'title': 'Notes', 'date': '2025-01-31'})
    """
    match = _FRONT_MATTER.match(text)
    if not match:
        return text, {}
    fields = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and not key.startswith((" ", "\t", "-")):
            fields[key.strip().lower()] = value.strip().strip("\"'")
    return text[match.end() :], fields


def _iso_date(value: Any) -> str | None:
    match = _ISO_DATE.match(str(value)) if value else None
    return match.group(0) if match else None


def _json_article(raw: str) -> dict[str, Any] | None:
    """The parsed object if ``raw`` is a JSON article (an object with a body field)."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if isinstance(data, dict) and any(isinstance(data.get(f), str) for f in _BODY_FIELDS):
        return data
    return None


def _read_json_article(raw: str, source: str) -> tuple[str, dict[str, Any]]:
    """Plain text of a JSON article's markdown body, and its metadata."""
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise IngestError(f"{source}: malformed JSON ({exc}); fix or remove the file") from exc
    except RecursionError as exc:  # "[[[[...": Python's parser recurses per level
        raise IngestError(
            f"{source}: JSON nested too deeply to read; an article is one flat object"
        ) from exc
    if not isinstance(data, dict):
        raise IngestError(f"{source}: JSON must be an article object with a 'body_md' field")
    body = next((data[f] for f in _BODY_FIELDS if isinstance(data.get(f), str)), None)
    if body is None:
        fields = ", ".join(_BODY_FIELDS)
        raise IngestError(f"{source}: JSON article has no text; expected one of {fields}")
    meta = {k: data[k] for k in _METADATA_FIELDS if data.get(k) is not None}
    return strip_markdown(body), meta


def _read_html(raw: str, source: str) -> tuple[str, str | None, str | None]:
    """Main text of an HTML page (as markdown), its title and its published date."""
    try:
        import trafilatura
    except ImportError as exc:  # e.g. lxml_html_clean missing
        raise IngestError(
            f"{source}: HTML support is not installed ({exc}); run pip install trafilatura "
            "lxml_html_clean"
        ) from exc

    text = trafilatura.extract(
        raw,
        output_format="markdown",
        include_comments=False,
        include_tables=True,
        favor_recall=True,
    )
    if not text:
        text = trafilatura.html2txt(raw) or ""
    meta = trafilatura.extract_metadata(raw)
    title = meta.title if meta is not None and meta.title else None
    if title is None:
        match = re.search(r"<title[^>]*>(.*?)</title>", raw, re.IGNORECASE | re.DOTALL)
        title = re.sub(r"\s+", " ", match.group(1)).strip() if match else None
        title = title or None
    # Only an explicit publication date: trafilatura's own guess can come from a footer.
    date_tag = re.search(
        r'(?:article:published_time|datePublished|name="date")[^>]*?content="(\d{4}-\d{2}-\d{2})'
        r'|<time[^>]*datetime="(\d{4}-\d{2}-\d{2})',
        raw,
        re.IGNORECASE,
    )
    date = (date_tag.group(1) or date_tag.group(2)) if date_tag else None
    return strip_markdown(text), title, date


def _read_pdf(path: Path, source: str) -> tuple[str, str | None]:
    """Text of a PDF, page by page (a page break is a paragraph break), and its title."""
    try:
        from pypdf import PdfReader
    except ImportError as exc:
        raise IngestError(f"{source}: PDF support is not installed; run pip install pypdf") from exc

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            reader.decrypt("")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = reader.metadata.title if reader.metadata else None
    except Exception as exc:  # pypdf raises many types for damaged or locked files
        raise IngestError(
            f"{source}: cannot read the PDF ({type(exc).__name__}: {exc}); "
            "check it opens in a PDF viewer and is not password-protected"
        ) from exc
    compounds = hyphenated_words("\n".join(pages))
    text = "\n\n".join(reflow_lines(page, compounds) for page in pages)
    if not text.strip():
        raise IngestError(f"{source}: the PDF has no text layer (scanned images?); OCR it first")
    if not isinstance(title, str) or _JUNK_PDF_TITLE.search(title.strip()):
        title = None  # "Microsoft Word - draft.docx" names a file, not the document
    return text, (title or "").strip() or None
