"""Parallel translations of a passage, read from its document's structure.

A document printed in several languages (a treaty in English, French and Italian)
numbers its paragraphs the same way in each: the English §5 and the French §5 are one
paragraph. A passage's labels are those of the paragraphs it overlaps (``Passage.start``/
``end`` are offsets into the normalized document); its translations are the paragraphs
of the other languages with the same labels. Documents without numbered paragraphs in
several languages have none. No gradio here.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from rag.errors import IngestError
from rag.types import Answer, Document, Passage

__all__ = ["parallel", "translations"]

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=32)
def _document(path: str, root: str, _mtime_ns: int, _size: int) -> Document | None:
    """The loaded document; the modification time and size in the key make an edited
    file load again."""
    from rag.ingest import load_document

    try:
        return load_document(Path(path), Path(root))
    except IngestError as exc:
        log.info("no translations for %s: %s", path, exc)
        return None


def parallel(passage: Passage, doc: Document) -> dict[str, str]:
    """Language -> the passage's paragraphs in that language (its own language left out)."""
    labels = {
        p.label
        for p in doc.paragraphs
        if p.label and p.lang == passage.lang and p.start < passage.end and p.end > passage.start
    }
    if not labels:
        return {}
    out: dict[str, str] = {}
    for lang in doc.languages:
        if lang != passage.lang:
            texts = [p.text for p in doc.paragraphs if p.lang == lang and p.label in labels]
            if texts:
                out[lang] = "\n\n".join(texts)
    return out


def translations(answer: Answer, corpus_dir: Path) -> dict[str, dict[str, str]]:
    """Passage position (from 1, as a string: JSON keys) -> language -> text, for the
    passages of ``answer`` whose document has them."""
    root = Path(corpus_dir).resolve()
    out: dict[str, dict[str, str]] = {}
    for pos, p in enumerate(answer.passages, 1):
        path = (root / p.source).resolve()
        if not path.is_relative_to(root) or p.end <= p.start:
            continue
        try:
            stat = path.stat()
        except OSError:
            continue
        doc = _document(str(path), str(root), stat.st_mtime_ns, stat.st_size)
        found = parallel(p, doc) if doc else {}
        if found:
            out[str(pos)] = found
    return out
