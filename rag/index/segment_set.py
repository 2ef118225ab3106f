"""The BM25 segments of one term store on disk: which are live, which of their chunks are
deleted (tombstones), and when they are merged.

    <store dir>/<store>.bm25/
        manifest.json   {"store": "9f1c...", "version": "42", "signature": "6cfe...", "segments":
                          [{"name": "seg-1a2b...", "deleted": [3, 17]}, ...]}
        seg-1a2b.../    one segment (``rag.index.segments``), never changed once written
        lock            held while a process updates the set

``update`` brings the set to the term store's current rows: the chunk ids the manifest
holds live are compared with the store's; the store's new rows become ONE new segment,
the ids it lost become tombstones (positions in their segment, so an id deleted and
added again is live in its new segment only). Chunk ids are content hashes and terms
depend on nothing else but the terms signature, so an id kept is a row unchanged; a
manifest of another signature is rebuilt whole. Writes go aside and are renamed (a
segment folder, then ``manifest.json`` by ``os.replace``): a reader sees the old set or
the new one, never half of one; a crash leaves at most an unreferenced folder, removed
by the next update.

Merges keep the number of segments bounded: more than ``MAX_SEGMENTS`` merges the
smallest into one, leaving ``MAX_SEGMENTS // 2``; a segment whose deleted share passes
``TOMBSTONE_SHARE`` is rewritten without them. Merging sums counts (no tokenizing).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rag.index.segments import Segment, merge

if TYPE_CHECKING:
    from rag.index.terms import TermStore

__all__ = ["MAX_SEGMENTS", "TOMBSTONE_SHARE", "Manifest", "folder", "load", "read", "update"]

log = logging.getLogger(__name__)

#: More segments than this are merged: each costs a vocabulary lookup per query term
#: (query p50, bench/results/bm25-incremental.json: see bench/README.md).
MAX_SEGMENTS = 8
#: A segment with more deleted chunks than this share is rewritten without them: deleted
#: chunks still cost their postings at query time, and their disk space.
TOMBSTONE_SHARE = 0.25

Parts = list[tuple[Segment, np.ndarray]]

_loaded: dict[str, Segment] = {}  # segment folder -> segment; segments never change
_loaded_lock = threading.Lock()


@dataclass(frozen=True)
class Manifest:
    """The live segments of a store's ``version``, each with its deleted positions
    (``store``: the store's ``identity``)."""

    store: str
    version: str
    signature: str
    segments: list[tuple[str, list[int]]]


def folder(store: TermStore) -> Path:
    """Where a store's segments live."""
    return store.path.parent / f"{store.path.stem}.bm25"


def read(store: TermStore) -> Manifest | None:
    """The store's manifest, or None (none written, unreadable, or another store's: the
    term store was deleted and made again beside the old segments)."""
    try:
        data = json.loads((folder(store) / "manifest.json").read_text(encoding="utf-8"))
        segments = [(str(s["name"]), [int(i) for i in s["deleted"]]) for s in data["segments"]]
        manifest = Manifest(
            str(data["store"]), str(data["version"]), str(data["signature"]), segments
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return manifest if manifest.store == store.identity() else None


def load(store: TermStore, manifest: Manifest) -> Parts:
    """The manifest's segments with their keep masks (a segment already loaded by this
    process is reused).

    Raises:
        OSError, ValueError: a segment is missing (merged away meanwhile) or unreadable.
    """
    parent = folder(store)
    parts: Parts = []
    for name, deleted in manifest.segments:
        key = str(parent / name)
        with _loaded_lock:
            segment = _loaded.get(key)
        if segment is None:
            segment = Segment.load(parent / name)
            with _loaded_lock:
                _loaded[key] = segment
        keep = np.ones(len(segment.ids), dtype=bool)
        keep[deleted] = False
        parts.append((segment, keep))
    _remember(parent, parts)
    return parts


def _remember(parent: Path, parts: Parts) -> None:
    """Keep these segments loaded (the next set reuses them), and only these."""
    names = {str(parent / s.name): s for s, _ in parts}
    with _loaded_lock:
        for key in [k for k in _loaded if Path(k).parent == parent and k not in names]:
            del _loaded[key]
        _loaded.update(names)


def update(store: TermStore, signature: str) -> tuple[Manifest, Parts]:
    """Bring the store's segments to its current rows and save them (see the module
    docstring); ``signature``: the terms signature of the store's rows.

    Raises:
        OSError: the folder cannot be written (a read-only data folder).
    """
    parent = folder(store)
    parent.mkdir(parents=True, exist_ok=True)
    if not os.access(parent, os.W_OK):
        raise PermissionError(f"{parent} is not writable")
    with _locked(parent / "lock"):
        manifest = read(store)
        parts: Parts | None = None
        if manifest is not None and manifest.signature == signature:
            try:
                parts = load(store, manifest)
            except (OSError, ValueError) as exc:
                log.warning("BM25: segments unreadable (%s): deriving them again", exc)
        live = {s.ids[int(i)] for s, keep in parts or [] for i in np.flatnonzero(keep)}
        version, ids, added = store.changes(live)
        if manifest is not None and parts is not None and manifest.version == version:
            return manifest, parts
        if parts is None:
            _announce(store, manifest, len(ids))
            parts = []
        gone = live - ids
        if gone:
            parts = [
                (s, keep & ~np.fromiter((c in gone for c in s.ids), bool, len(s.ids)))
                for s, keep in parts
            ]
        if added:
            segment = Segment.of(added)
            segment.save(parent)
            parts.append((segment, np.ones(len(segment.ids), dtype=bool)))
        parts = _compact(parts, parent)
        manifest = Manifest(
            store.identity(),
            version,
            signature,
            [(s.name, np.flatnonzero(~keep).tolist()) for s, keep in parts],
        )
        _write(parent, manifest)
        _collect(parent, manifest)
        _remember(parent, parts)
        log.info(
            "BM25 segments of version %s: %d (%d chunks added, %d deleted)",
            version,
            len(parts),
            len(added),
            len(gone),
        )
        return manifest, parts


def _announce(store: TermStore, manifest: Manifest | None, count: int) -> None:
    """Say why every segment is derived again, and drop what older code saved."""
    old = list(store.path.parent.glob(f"{store.path.stem}.v*"))
    if old:
        log.warning(
            "BM25: upgrading the index's scoring structure to segments: deriving them "
            "from the term store's %d chunks (once, no tokenizing)",
            count,
        )
        for path in old:
            shutil.rmtree(path, ignore_errors=True)
    elif manifest is not None:
        log.info("BM25: the terms signature changed: deriving segments again (%d chunks)", count)
    else:
        log.info("BM25: deriving segments from the term store (%d chunks)", count)


def _compact(parts: Parts, parent: Path) -> Parts:
    """Drop empty segments, rewrite those past ``TOMBSTONE_SHARE`` deleted, merge the
    smallest when there are more than ``MAX_SEGMENTS``."""
    out: Parts = []
    for segment, keep in parts:
        if not keep.any():
            continue
        if 1 - keep.mean() > TOMBSTONE_SHARE:
            segment = merge([(segment, keep)])
            segment.save(parent)
            keep = np.ones(len(segment.ids), dtype=bool)
        out.append((segment, keep))
    if len(out) > MAX_SEGMENTS:
        by_size = sorted(range(len(out)), key=lambda i: int(out[i][1].sum()))
        small = set(by_size[: len(out) - MAX_SEGMENTS // 2 + 1])
        merged = merge([out[i] for i in sorted(small)])
        merged.save(parent)
        out = [p for i, p in enumerate(out) if i not in small]
        out.append((merged, np.ones(len(merged.ids), dtype=bool)))
    return out


def _write(parent: Path, manifest: Manifest) -> None:
    data = {
        "store": manifest.store,
        "version": manifest.version,
        "signature": manifest.signature,
        "segments": [{"name": n, "deleted": d} for n, d in manifest.segments],
    }
    tmp = parent / f"manifest.tmp-{uuid.uuid4().hex[:8]}"
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, parent / "manifest.json")


def _collect(parent: Path, manifest: Manifest) -> None:
    """Remove what the manifest no longer names: merged or crashed-out segments, and
    temporary files (the update lock is held: no one else is writing). A reader still
    loading a removed segment reads the new manifest instead (``rag.index.bm25``)."""
    names = {n for n, _ in manifest.segments}
    for path in parent.iterdir():
        if path.name.startswith(("seg-", "tmp-", "manifest.tmp-")) and path.name not in names:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    path.unlink()


#: The longest wait for another process's update (a merge of 100k chunks takes seconds);
#: past it the waiter builds in memory instead (``filelock.Timeout`` is an ``OSError``).
_LOCK_WAIT_S = 300.0


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock across processes (released by the OS if the holder dies)."""
    from filelock import FileLock

    with FileLock(str(path), timeout=_LOCK_WAIT_S):
        yield
