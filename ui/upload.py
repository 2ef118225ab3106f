"""Adding and removing documents from the UI: checked, safely named, indexed at once.

Uploaded files go to ``<corpus>/uploads/`` under a sanitized name (no path, no hidden
file, never over an existing document: a same-named different file gets ``-2``), then
``sync_corpus`` indexes them, so the next question can cite them. No gradio here.

    >>> safe_name("../../etc/Rapport final (v2).PDF")
    'Rapport_final_v2.pdf'
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rag.config import Settings
from rag.errors import IngestError
from rag.ingest import SUPPORTED_SUFFIXES

__all__ = [
    "MAX_BYTES",
    "MAX_FILES",
    "UPLOAD_DIR",
    "UploadReport",
    "add_files",
    "documents",
    "index_facts",
    "remove_document",
    "safe_name",
]

log = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024  # per file
MAX_FILES = 20  # per upload
UPLOAD_DIR = "uploads"  # under the corpus folder: sources read "uploads/<name>"
_sync_lock = threading.Lock()  # one sync at a time: two uploads must not race


@dataclass
class UploadReport:
    """What one upload did: indexed sources, and files refused with the reason."""

    added: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (name given, reason)
    seconds: float = 0.0

    def message(self) -> str:
        """One or a few lines for the user."""
        lines = []
        if self.added:
            lines.append(
                f"Indexed {len(self.added)} file{'s' if len(self.added) > 1 else ''}: "
                + ", ".join(self.added)
                + ". You can ask about them now."
            )
        lines += [f"Not added: {name}: {reason}" for name, reason in self.refused]
        return "\n".join(lines) or "No file was given."


def safe_name(name: str) -> str:
    """A file name that is only a name: no folders, no leading dot, letters (any
    script), digits and ``._-`` only, at most 100 characters, lower-case ASCII suffix."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", name))[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = re.sub(r"[^\w.-]+", "_", stem).strip("._-")[:90] or "document"
    suffix = re.sub(r"[^\w]+", "", suffix, flags=re.ASCII).lower()[:10]
    return f"{stem}.{suffix}" if suffix else stem


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _destination(folder: Path, name: str, src: Path) -> Path | None:
    """Where ``src`` goes in ``folder``: ``name``, or ``name-2``... when another file has
    that name; None when the same content is already there under that name."""
    stem, suffix = Path(name).stem, Path(name).suffix
    candidate, i = folder / name, 1
    while candidate.exists():
        if _sha(candidate) == _sha(src):
            return None
        i += 1
        candidate = folder / f"{stem}-{i}{suffix}"
    return candidate


def _check(path: Path, name: str) -> str | None:
    """Why a file cannot be added, or None."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
        return f"unsupported file type {suffix or '(none)'}; use {kinds}"
    try:
        size = path.stat().st_size
    except OSError:
        return "the upload did not arrive; try again"
    if size == 0:
        return "the file is empty"
    if size > MAX_BYTES:
        return f"the file is {size / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB"
    return None


def add_files(
    files: Sequence[tuple[Path, str]],
    settings: Settings,
    progress: Callable[[float, str], None] | None = None,
) -> UploadReport:
    """Copy uploaded files (temporary path, name the user gave) into the corpus and index
    them. A file the loader cannot read is removed again and reported, never half-added.

    Raises:
        IngestError: the corpus folder is missing or cannot be written.
    """
    from rag.sync import sync_corpus

    report = UploadReport()
    if len(files) > MAX_FILES:
        report.refused.append((f"{len(files)} files", f"upload at most {MAX_FILES} at a time"))
        return report
    folder = Path(settings.corpus_dir) / UPLOAD_DIR
    copied: dict[str, str] = {}  # source -> name given
    with _sync_lock:
        for src, given in files:
            name = safe_name(given)
            reason = _check(src, name)
            if reason:
                report.refused.append((given, reason))
                continue
            try:
                folder.mkdir(parents=True, exist_ok=True)
                dest = _destination(folder, name, src)
                if dest is None:
                    report.refused.append((given, "already in the documents"))
                    continue
                shutil.copyfile(src, dest)
            except OSError as exc:
                raise IngestError(f"Cannot write to {folder}: {exc.strerror or exc}.") from exc
            copied[f"{UPLOAD_DIR}/{dest.name}"] = given
        if not copied:
            return report
        if progress:
            progress(0.3, f"Indexing {len(copied)} file(s)…")
        sync = sync_corpus(settings)
        report.seconds = sync.seconds
        failed = dict(sync.skipped)
        for source, given in copied.items():
            if source in failed:
                (Path(settings.corpus_dir) / source).unlink(missing_ok=True)
                report.refused.append((given, failed[source]))
            else:
                report.added.append(source)
    log.info("upload: %s", report.message().replace("\n", "; "))
    return report


def remove_document(source: str, settings: Settings) -> str:
    """Remove an uploaded document (file and index entries). The corpus's own files
    are not the UI's to delete: for those the message says to remove them from the
    folder.

    Returns:
        One line for the user.
    """
    from rag.sync import sync_corpus

    if not source:
        return "Choose a document to remove."
    if not source.startswith(f"{UPLOAD_DIR}/") or ".." in Path(source).parts:
        return (
            f"{source} is part of the corpus folder {settings.corpus_dir}: delete it there "
            "and it leaves the index at the next sync. Only uploaded documents are removed here."
        )
    path = Path(settings.corpus_dir) / source
    with _sync_lock:
        path.unlink(missing_ok=True)
        sync_corpus(settings)
    return f"Removed {source}."


def documents(settings: Settings) -> list[list[str | int]]:
    """What is indexed, one row per document: title, file, languages, chunks."""
    from rag.index import open_index

    files = open_index(settings).files()
    return [
        [f.title or f.source, f.source, ", ".join(f.langs), len(f.chunk_ids)]
        for f in sorted(files.values(), key=lambda f: f.source)
    ]


def index_facts(settings: Settings) -> dict[str, object]:
    """Documents, chunks, languages and embedding model of the index (as ``rag stats``)."""
    from rag.index import open_index

    index = open_index(settings)
    files = index.files()
    return {
        "documents": len(files),
        "chunks": index.count(),
        "languages": sorted({lang for f in files.values() for lang in f.langs}),
        "embedding_model": index.embedder.name,
    }
