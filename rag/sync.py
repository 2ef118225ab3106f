"""The write path: corpus folder -> manifest diff -> load -> chunk -> embed -> index.

A file is re-embedded only when its content hash changed, or when it was chunked by an
older ``CHUNKING_VERSION``. Files are written in batches of ``RAG_INGEST_BATCH_CHUNKS``
chunks; for each batch the new chunks (and their BM25 terms) are written first and the
stale ones deleted after, then the manifest entries, so an interruption at any point (even
``kill -9``) leaves the previous version searchable and the next sync redoes the work: a
file whose manifest entry is missing, or names chunks the store lacks, is indexed again,
and chunks no entry names are deleted. The sync ends by bringing the BM25 index in line
with the stored chunks (``rag.index.bm25.refresh``). A sync holds the index's writer lock
(``rag.sharing``) from its manifest read to its last write. A file that fails to load is
reported and, if an older version was indexed, that version is kept.

    report = sync_corpus(Settings.from_env())
    print(report.summary())
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rag.chunking import chunk_document
from rag.errors import IndexBusyError, IngestError
from rag.index import FileRecord, drop_index, open_index, writer
from rag.index.bm25 import refresh as refresh_lexical
from rag.ingest import discover, load_document
from rag.ingest.guard import refusal, safe_name

if TYPE_CHECKING:
    from rag.config import Settings
    from rag.index import ChunkIndex
    from rag.types import Chunk

__all__ = ["SyncReport", "ensure_index", "sync_corpus"]

log = logging.getLogger(__name__)


@dataclass
class SyncReport:
    """What a sync did, file by file."""

    corpus: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    chunks_written: int = 0
    chunks_total: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        """A few human lines: counts, then one line per skipped file with its reason."""
        lines = [
            f"Indexed {self.corpus}: {len(self.added)} added, {len(self.changed)} changed, "
            f"{len(self.removed)} removed, {len(self.unchanged)} unchanged, "
            f"{len(self.skipped)} skipped; {self.chunks_written} chunks embedded, "
            f"{self.chunks_total} in the index ({self.seconds:.1f} s)."
        ]
        lines += [f"  skipped {safe_name(name)}: {reason}" for name, reason in self.skipped]
        return "\n".join(lines)


#: Changes whenever the same file would give other chunks or chunk metadata, so an index
#: built by an older version re-chunks each file once. 2: translations linked (rag.parallel).
#: 3: terminal formatting codes removed, a markdown code span keeps its "*" and "_".
#: 4: markdown: backslash escapes undone and fenced code kept as written; MyST directives
#: and roles read as text.
#: 6 (5 was never committed): no sentence starts right after a dot (".tar.xz"); a paragraph
#: ending in "?" opens a chunk, as a heading does.
CHUNKING_VERSION = "6"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sync_corpus(
    settings: Settings,
    *,
    corpus: Path | None = None,
    rebuild: bool = False,
    progress: bool = False,
) -> SyncReport:
    """Bring the index in line with the corpus folder.

    Args:
        settings: where the index lives and how to chunk/embed.
        corpus: the folder to index (default ``settings.corpus_dir``).
        rebuild: drop the index first and re-embed everything.
        progress: show progress bars (CLI); library callers get none by default.

    Raises:
        IngestError: the corpus folder does not exist.
        EmbeddingMismatchError: the index was built with another model (use ``rebuild``).
    """
    t0 = time.perf_counter()
    root = Path(corpus or settings.corpus_dir)
    files = discover(root)  # raises IngestError for a missing folder
    # One writer at a time: the manifest read below must still be true when it is acted on.
    with writer(settings):
        report = _sync(settings, root, files, rebuild=rebuild, progress=progress)
    report.seconds = time.perf_counter() - t0
    log.info("sync done: %s", report.summary().splitlines()[0])
    return report


def _sync(
    settings: Settings, root: Path, files: list[Path], *, rebuild: bool, progress: bool
) -> SyncReport:
    if rebuild:
        drop_index(settings)
    index = open_index(settings)
    index.tune_search(settings.hnsw_ef_search)
    manifest = index.files()
    stored = index.ids()
    report = SyncReport(corpus=str(root))

    # Files are written in batches of about ``ingest_batch_chunks`` chunks: one embedding
    # call (sorted by length inside), one Chroma upsert, one manifest write per batch. A
    # Chroma call costs ~50 ms whatever its size (measured: 600 chunks in one call 0.32 s,
    # in 40 calls 2.2 s), which per file was most of the ingest's time beside the model.
    batch: list[tuple[str, str, list[Chunk], bool]] = []  # (source, sha, chunks, is_new)
    pending = 0
    gone: set[str] = set()  # refused files whose indexed version must go too
    iterator = files
    if progress:
        from tqdm import tqdm

        iterator = tqdm(files, desc="Indexing", unit="file", leave=False)
    for path in iterator:
        source = path.relative_to(root).as_posix()
        refused = refusal(path, root, settings.max_file_bytes)
        if refused:
            old = manifest.get(source)
            kept = old is not None and refused.keep_indexed
            note = " (the previously indexed version is kept)" if kept else ""
            report.skipped.append((source, refused.reason + note))
            if not refused.keep_indexed:
                gone.add(source)  # never leave what a bad link pointed at in the index
            continue
        try:
            sha = _sha256(path)
        except OSError as exc:
            report.skipped.append((source, f"cannot read the file ({exc.strerror or exc})"))
            continue
        old = manifest.get(source)
        # Unchanged, and all its chunks are there (a manifest entry is written after its
        # chunks, so a missing one means the store lost it: index the file again).
        if (
            old
            and old.sha256 == sha
            and old.chunking == CHUNKING_VERSION
            and stored.issuperset(old.chunk_ids)
        ):
            report.unchanged.append(source)
            continue
        try:
            doc = load_document(path, root)
        except IngestError as exc:
            reason = str(exc)
            if old:
                reason += " (the previously indexed version is kept)"
            report.skipped.append((source, reason))
            continue
        chunks = chunk_document(
            doc,
            max_tokens=settings.chunk_tokens,
            overlap_sentences=settings.chunk_overlap_sentences,
        )
        batch.append((source, sha, chunks, old is None))
        pending += len(chunks)
        if pending >= settings.ingest_batch_chunks:
            _write(index, batch, manifest, report)
            batch, pending = [], 0
    _write(index, batch, manifest, report)

    present = {p.relative_to(root).as_posix() for p in files} - gone
    for source in sorted(set(manifest) - present):
        index.remove_file(source)
        report.removed.append(source)

    ids = _drop_orphans(index)
    # BM25: repair what a crash left, then build the scoring structure once if the terms
    # changed (nothing at all for an unchanged corpus).
    refresh_lexical(index, ids, progress=progress)
    report.chunks_total = len(ids)
    return report


def _write(
    index: ChunkIndex,
    batch: list[tuple[str, str, list[Chunk], bool]],
    manifest: dict[str, FileRecord],
    report: SyncReport,
) -> None:
    """Embed and store a batch of files: their chunks, then their stale chunks deleted,
    then their manifest entries (so a crash at any point is redone by the next sync)."""
    chunks = [c for _, _, cs, _ in batch for c in cs]
    if not batch:
        return
    if chunks:
        vectors = index.embedder.embed([c.text for c in chunks], progress=False)
        index.upsert(chunks, vectors, sha256={source: sha for source, sha, _, _ in batch})
    stale = []
    for source, _, cs, _ in batch:
        old = manifest.get(source)
        if old:
            new_ids = {c.id for c in cs}
            stale += [i for i in old.chunk_ids if i not in new_ids]
    index.delete(stale)
    index.put_file(
        *(
            FileRecord(
                source=source,
                sha256=sha,
                chunk_ids=tuple(c.id for c in cs),
                title=cs[0].title if cs else "",
                langs=tuple(dict.fromkeys(c.lang for c in cs)),
                chunking=CHUNKING_VERSION,
            )
            for source, sha, cs, _ in batch
        )
    )
    for source, _, cs, is_new in batch:
        (report.added if is_new else report.changed).append(source)
        report.chunks_written += len(cs)


def _drop_orphans(index: ChunkIndex) -> set[str]:
    """Delete chunks no manifest entry names: what a sync killed between writing a
    file's chunks and its manifest entry leaves behind when that file is gone since.
    Returns the ids left."""
    named = {cid for record in index.files().values() for cid in record.chunk_ids}
    ids = index.ids()
    orphans = sorted(ids - named)
    if orphans:
        log.info("removing %d chunks no indexed file names (an interrupted sync)", len(orphans))
        index.delete(orphans)
    return ids - set(orphans)


def ensure_index(settings: Settings) -> None:
    """Build the index from the corpus folder on first use (when it is empty).

    Threads of this process asking their first questions at once wait for the one that
    builds it (they would otherwise read a half-built index); another process building
    it is not waited for.

    Raises:
        IndexBusyError: it is empty because another process is building it right now
            (a question does not wait minutes for someone else's ingest).
    """
    from rag.index import busy_writer, open_index

    index = open_index(settings)
    build = _first_build(index.location)
    # count() before locked(): a count above 0 while a thread of ours is building means
    # that thread still holds the lock, so this one waits for the rest of its build.
    if index.count() > 0 and not build.locked():
        return
    with build:
        if index.count() > 0:
            return  # built by the thread that held the lock
        who = busy_writer(settings)
        if who:
            raise IndexBusyError(
                f"{who} is building the index at {index.location} right now: ask again "
                "when it has finished."
            )
        log.info("Index is empty: indexing %s", settings.corpus_dir)
        report = sync_corpus(settings)
        for name, reason in report.skipped:
            log.warning("skipped %s: %s", name, reason)


_first_builds: dict[str, threading.Lock] = {}
_first_builds_lock = threading.Lock()


def _first_build(location: str) -> threading.Lock:
    """The lock this process's threads take to build the index at ``location`` from empty."""
    with _first_builds_lock:
        return _first_builds.setdefault(location, threading.Lock())
