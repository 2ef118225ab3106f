"""The stemmed terms of every chunk, stored next to the index (sqlite), for BM25.

Tokenizing is the expensive part of a BM25 index (sentence splitting and stemming: ~5 ms
a chunk), so each chunk is tokenized once, when it is written, and its terms kept here:

    chunks(id PRIMARY KEY, terms, sentences)   terms: "bridg repair 39"; sentences: one
                                               sentence's terms per line
    meta(key PRIMARY KEY, value)               version: bumped by every change (same
                                               transaction); source: the collection
                                               generation a server-mode cache reflects

``rag.index.segment_set`` counts the terms of the rows a sync added into one new BM25
segment (no tokenizing), and does nothing while ``version`` is unchanged. Chunk ids are
content hashes, so a row never describes other text than the chunk of that id.

Where it lives: a local index keeps it in the data folder,
``<data dir>/lexical/<collection id>.sqlite3``, shared by every process of that folder (the
writer lock orders writes; sqlite's own locking covers a reader filling a missing row).
With a Chroma server each client machine keeps its own cache under
``RAG_LEXICAL_CACHE_DIR`` (default ``~/.cache/rag/lexical``), named after the server's
collection id, so a recreated collection never meets an old cache.

    store = term_store(path)
    store.put([("a-1", "bridg repair", "bridg repair")])
    store.version()   # "1"
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import uuid
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.errors import IndexStoreError

if TYPE_CHECKING:
    from rag.config import Settings

__all__ = ["TermStore", "term_store", "terms_path"]

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (id TEXT PRIMARY KEY, terms TEXT NOT NULL,
                                   sentences TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
#: Ids per ``IN (...)`` query: under sqlite's default limit of 999 variables.
_BATCH = 500


class TermStore:
    """One sqlite file of chunk terms; thread-safe (a connection per thread)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(str(self.path), timeout=60, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.executescript(_SCHEMA)
            except (OSError, sqlite3.Error) as exc:
                raise IndexStoreError(
                    f"Cannot open the BM25 term store {self.path} ({exc}). Its folder must be "
                    "writable: check RAG_DATA_DIR (or RAG_LEXICAL_CACHE_DIR with a Chroma "
                    "server). Deleting the file is safe: it is rebuilt from the index."
                ) from exc
            self._local.conn = conn
        yield conn

    def version(self) -> str:
        """The store's version ("0" when empty and never written)."""
        with self._db() as db:
            row = db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
        return row[0] if row else "0"

    def meta(self, key: str) -> str:
        """A meta value ("" when unset)."""
        with self._db() as db:
            row = db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else ""

    def set_meta(self, key: str, value: str) -> None:
        """Set a meta value (``version`` is the store's own: not settable)."""
        with self._db() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def identity(self) -> str:
        """A random id made with the store's first use of it: a store deleted and made
        again (its version counting from 1 again) is another store, whose saved BM25
        segments are not taken for its own."""
        made = self.meta("identity")
        if made:  # read first: an INSERT would wait for a writer's transaction
            return made
        with self._db() as db:  # of two processes making it, the first wins
            db.execute("INSERT OR IGNORE INTO meta VALUES ('identity', ?)", (uuid.uuid4().hex,))
        return self.meta("identity")

    def count(self) -> int:
        """Number of chunks with terms."""
        with self._db() as db:
            return int(db.execute("SELECT count(*) FROM chunks").fetchone()[0])

    def ids(self) -> set[str]:
        """Every chunk id with terms."""
        with self._db() as db:
            return {r[0] for r in db.execute("SELECT id FROM chunks")}

    def put(self, rows: Iterable[tuple[str, str, str]]) -> None:
        """Insert or replace (id, terms, sentences) rows, in one transaction."""
        self._change("INSERT OR REPLACE INTO chunks VALUES (?, ?, ?)", list(rows))

    def delete(self, ids: Iterable[str]) -> None:
        """Forget chunks by id, in one transaction."""
        self._change("DELETE FROM chunks WHERE id=?", [(i,) for i in ids])

    def _change(self, sql: str, rows: list[tuple[str, ...]]) -> None:
        if not rows:
            return
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(sql, rows)
                db.execute(
                    "INSERT INTO meta VALUES ('version', '1') ON CONFLICT(key) "
                    "DO UPDATE SET value = CAST(value AS INTEGER) + 1"
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def rows(self) -> tuple[str, list[tuple[str, str, str]]]:
        """(version, every (id, terms, sentences) row in id order), read in one snapshot."""
        with self._db() as db:
            db.execute("BEGIN")
            try:
                row = db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
                rows = db.execute("SELECT id, terms, sentences FROM chunks ORDER BY id").fetchall()
            finally:
                db.execute("COMMIT")
        return (row[0] if row else "0"), rows

    def changes(self, known: Collection[str]) -> tuple[str, set[str], list[tuple[str, str, str]]]:
        """(version, every id, the rows of the ids not in ``known``, in id order), read in
        one snapshot: what BM25 segments lack (``rag.index.segment_set``)."""
        with self._db() as db:
            db.execute("BEGIN")
            try:
                row = db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
                ids = {r[0] for r in db.execute("SELECT id FROM chunks")}
                missing = sorted(ids.difference(known))
                if len(missing) == len(ids):
                    rows = db.execute("SELECT id, terms, sentences FROM chunks ORDER BY id")
                    found = rows.fetchall()
                else:
                    found = []
                    for i in range(0, len(missing), _BATCH):
                        part = missing[i : i + _BATCH]
                        marks = ",".join("?" * len(part))
                        sql = f"SELECT id, terms, sentences FROM chunks WHERE id IN ({marks})"
                        found += db.execute(sql, part).fetchall()
                    found.sort()
            finally:
                db.execute("COMMIT")
        return (row[0] if row else "0"), ids, found

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def terms_path(settings: Settings, collection_id: Any) -> Path:
    """Where the terms of a collection live: the data folder of a local index; a
    per-machine cache for a server (``RAG_LEXICAL_CACHE_DIR``)."""
    if settings.chroma_url:
        cache = settings.lexical_cache_dir or Path(
            os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "rag", "lexical"
        )
        folder = Path(cache).expanduser()
    else:
        folder = Path(settings.data_dir) / "lexical"
    return folder / f"{collection_id}.sqlite3"


_stores: dict[str, TermStore] = {}
_stores_lock = threading.Lock()


def term_store(path: Path) -> TermStore:
    """The ``TermStore`` of a file, one per file per process."""
    key = str(Path(path).resolve())
    with _stores_lock:
        if key not in _stores:
            _stores[key] = TermStore(Path(key))
        return _stores[key]


def forget(path: Path) -> None:
    """Delete a store's files (a dropped collection) and this process's handle."""
    key = str(Path(path).resolve())
    with _stores_lock:
        store = _stores.pop(key, None)
    if store is not None:
        store.close()
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            Path(key + suffix).unlink()
