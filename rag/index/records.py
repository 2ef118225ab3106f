"""How chunks and manifest entries are stored as Chroma metadata, and read back.

Chroma metadata values are flat scalars, so a chunk's labels are joined by ``|`` and a
manifest entry's chunk ids are a JSON list:

    >>> manifest_meta(FileRecord("a.txt", "ab12", ("a-1", "a-2"), "Title", ("en",), "2"))
    {'sha256': 'ab12', 'chunk_ids': '["a-1", "a-2"]', 'title': 'Title', 'langs': 'en', \
'chunking': '2'}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rag.types import Chunk, Passage

__all__ = ["FileRecord", "chunk_meta", "file_record", "manifest_meta", "passage"]


@dataclass(frozen=True)
class FileRecord:
    """What the manifest remembers of one ingested file."""

    source: str
    sha256: str
    chunk_ids: tuple[str, ...]
    title: str = ""
    langs: tuple[str, ...] = ()
    chunking: str = ""  # rag.sync.CHUNKING_VERSION when the file was chunked ("" before 2)


def manifest_meta(record: FileRecord) -> dict[str, Any]:
    """The Chroma metadata of one manifest entry."""
    return {
        "sha256": record.sha256,
        "chunk_ids": json.dumps(list(record.chunk_ids)),
        "title": record.title,
        "langs": ",".join(record.langs),
        "chunking": record.chunking,
    }


def file_record(source: str, meta: dict[str, Any]) -> FileRecord:
    """A manifest entry read back from its metadata."""
    return FileRecord(
        source=source,
        sha256=str(meta["sha256"]),
        chunk_ids=tuple(json.loads(str(meta["chunk_ids"]))),
        title=str(meta.get("title", "")),
        langs=tuple(str(meta.get("langs", "")).split(",")) if meta.get("langs") else (),
        chunking=str(meta.get("chunking", "")),
    )


def chunk_meta(c: Chunk, sha256: str) -> dict[str, Any]:
    """The Chroma metadata of one chunk (``sha256`` is its file's content hash)."""
    meta: dict[str, Any] = {
        "source": c.source,
        "title": c.title,
        "lang": c.lang,
        "start": c.start,
        "end": c.end,
        "labels": "|".join(c.labels),
        "translations": "|".join(c.translations),
        "locator": c.locator,
        "ordinal": c.ordinal,
        "sha256": sha256,
    }
    if c.date:
        meta["date"] = c.date
    return meta


def passage(cid: str, doc: str | None, meta: dict[str, Any] | None, score: float) -> Passage:
    """A stored chunk as a ``Passage``."""
    m = meta or {}
    return Passage(
        chunk_id=cid,
        source=str(m.get("source", "")),
        text=doc or "",
        score=score,
        lang=str(m.get("lang", "en")),
        title=str(m.get("title", "")),
        date=m.get("date"),
        locator=str(m.get("locator", "")),
        start=int(m.get("start", 0)),
        end=int(m.get("end", 0)),
        translations=tuple(t for t in str(m.get("translations", "")).split("|") if t),
    )
