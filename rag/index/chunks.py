"""``ChunkIndex``: the chunks and the file manifest of one index, and opening/dropping it.

Every call goes through ``ChunkIndex._call``: on the connection's current client
(reopened if another process wrote), retried once on a fresh client, and turned into an
error that says what happened: another process writing (``IndexBusyError``), a missing
collection, or a store that fails even when nothing else touches it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rag.embeddings import Embedder, get_embedder
from rag.errors import (
    EmbeddingMismatchError,
    IndexBusyError,
    IndexNotReadyError,
    IndexStoreError,
    RAGError,
)
from rag.index.connection import Connection, busy_writer, connection, ef_class
from rag.index.connection import where as location_of
from rag.index.records import FileRecord, chunk_meta, file_record, manifest_meta, passage
from rag.index.terms import TermStore, term_store, terms_path
from rag.types import Chunk, Passage

if TYPE_CHECKING:
    import numpy as np

    from rag.config import Settings

__all__ = ["ChunkIndex", "drop_index", "open_index"]

log = logging.getLogger(__name__)

_SCHEMA = 1


class ChunkIndex:
    """Chunks and the file manifest in Chroma; see the module docstring."""

    def __init__(self, conn: Connection, settings: Settings, embedder: Embedder) -> None:
        self._conn = conn
        self._settings = settings
        self._names = {"chunks": settings.collection, "files": f"{settings.collection}_files"}
        self._checked: Any = None
        self.embedder = embedder
        self.location = conn.location
        self.remote = bool(settings.chroma_url)

    # -- chunks ---------------------------------------------------------------------
    def upsert(
        self, chunks: Sequence[Chunk], vectors: np.ndarray, sha256: str | Mapping[str, str] = ""
    ) -> None:
        """Insert or replace chunks with their embeddings (batched for Chroma's limits).
        ``sha256``: their file's content hash, or a hash per source."""

        def sha(c: Chunk) -> str:
            return sha256.get(c.source, "") if isinstance(sha256, Mapping) else sha256

        step = 1000
        with self._conn.writing():
            for i in range(0, len(chunks), step):
                part = chunks[i : i + step]
                self._call(
                    "chunks",
                    "upsert",
                    ids=[c.id for c in part],
                    documents=[c.text for c in part],
                    embeddings=vectors[i : i + step],
                    metadatas=[chunk_meta(c, sha(c)) for c in part],
                )
            # After Chroma: a crash in between leaves chunks without terms, which the
            # next sync writes again (rag.index.bm25).
            from rag.index.bm25 import stamp
            from rag.lexical import chunk_terms

            store = self.terms()
            stamp(store)  # a new store records the stop words its terms are made with
            store.put((c.id, *chunk_terms(c.text, c.lang)) for c in chunks)
            self._conn.wrote()

    def delete(self, ids: Iterable[str]) -> None:
        """Remove chunks by id."""
        ids = list(ids)
        if not ids:
            return
        with self._conn.writing():
            for i in range(0, len(ids), 1000):
                self._call("chunks", "delete", ids=ids[i : i + 1000])
            self.terms().delete(ids)
            self._conn.wrote()

    def query(
        self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None
    ) -> list[Passage]:
        """The ``k`` nearest chunks as passages, best first; score = cosine similarity.
        (Chroma returns fewer when it has fewer: no count() first, which took ~40 ms of
        every query at 100k chunks.)"""
        res = self._call(
            "chunks",
            "query",
            query_embeddings=[vector],
            n_results=k,
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        return [
            passage(cid, doc, meta, 1.0 - float(dist))
            for cid, doc, meta, dist in zip(
                res["ids"][0],
                res["documents"][0],
                res["metadatas"][0],
                res["distances"][0],
                strict=True,
            )
        ]

    def get(self, ids: Sequence[str]) -> list[Passage]:
        """Chunks by id as passages (score 0), in the order asked."""
        if not ids:
            return []
        res = self._call("chunks", "get", ids=list(ids), include=["documents", "metadatas"])
        found = {
            cid: passage(cid, doc, meta, 0.0)
            for cid, doc, meta in zip(res["ids"], res["documents"], res["metadatas"], strict=True)
        }
        return [found[i] for i in ids if i in found]

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored embeddings by chunk id."""
        import numpy as np

        if not ids:
            return {}
        res = self._call("chunks", "get", ids=list(ids), include=["embeddings"])
        return {
            cid: np.asarray(vec, dtype=np.float32)
            for cid, vec in zip(res["ids"], res["embeddings"], strict=True)
        }

    def all_passages(self) -> list[Passage]:
        """Every chunk (for lexical indexes and stats), in pages."""
        out: list[Passage] = []
        offset, page = 0, 2000
        while True:
            res = self._call(
                "chunks", "get", include=["documents", "metadatas"], limit=page, offset=offset
            )
            out += [
                passage(cid, doc, meta, 0.0)
                for cid, doc, meta in zip(
                    res["ids"], res["documents"], res["metadatas"], strict=True
                )
            ]
            if len(res["ids"]) < page:
                return out
            offset += page

    def ids(self) -> set[str]:
        """Every chunk id (no documents or vectors), in pages."""
        out: set[str] = set()
        offset, page = 0, 10_000
        while True:
            res = self._call("chunks", "get", include=[], limit=page, offset=offset)
            out.update(res["ids"])
            if len(res["ids"]) < page:
                return out
            offset += page

    def count(self) -> int:
        """Number of chunks."""
        return int(self._call("chunks", "count"))

    # -- manifest -------------------------------------------------------------------
    def files(self) -> dict[str, FileRecord]:
        """The manifest: source -> FileRecord."""
        res = self._call("files", "get", include=["metadatas"])
        return {
            sid: file_record(sid, meta)
            for sid, meta in zip(res["ids"], res["metadatas"], strict=True)
        }

    def put_file(self, *records: FileRecord) -> None:
        """Record files as ingested, in one write (call after their chunks are stored)."""
        if not records:
            return
        # The manifest needs no similarity search; a constant vector keeps Chroma happy.
        with self._conn.writing():
            for i in range(0, len(records), 1000):
                part = records[i : i + 1000]
                self._call(
                    "files",
                    "upsert",
                    ids=[r.source for r in part],
                    embeddings=[[1.0]] * len(part),
                    metadatas=[manifest_meta(r) for r in part],
                )
            self._conn.wrote()

    def remove_file(self, source: str) -> None:
        """Forget a file and delete its chunks (manifest entry last)."""
        with self._conn.writing():
            record = self.files().get(source)
            if record:
                self.delete(record.chunk_ids)
            self._call("files", "delete", ids=[source])
            self._conn.wrote()

    def writing(self) -> contextlib.AbstractContextManager[None]:
        """Hold this index's writer lock while the block runs (see ``writer``)."""
        return self._conn.writing()

    def writer_busy(self) -> bool:
        """Whether another process is writing this local index right now."""
        return self._conn.shared is not None and self._conn.shared.writer_active()

    # -- BM25 terms (rag.index.terms, rag.index.bm25) -----------------------------------
    def terms(self) -> TermStore:
        """The term store of the current collection (a dropped and recreated collection
        has a new id, hence a new store)."""
        return term_store(terms_path(self._settings, self._collection("chunks").id))

    def metadata(self) -> dict[str, Any]:
        """The chunk collection's metadata, read fresh (from the server in server mode)."""
        ef_class()
        res = self._conn.client().get_collection(self._names["chunks"], embedding_function=None)
        return dict(res.metadata or {})

    def set_metadata(self, key: str, value: str) -> None:
        """Set one key of the chunk collection's metadata, keeping the others."""
        ef_class()
        col = self._conn.client().get_collection(self._names["chunks"], embedding_function=None)
        col.modify(metadata={**(col.metadata or {}), key: value})

    def tune_search(self, want: int) -> None:
        """Give the chunk collection the HNSW ``ef_search`` ``want`` if it has another (an
        index built before ``Settings.hnsw_ef_search``, or with another value). A write:
        call it under the writer lock."""
        ef_class()
        col = self._conn.client().get_collection(self._names["chunks"], embedding_function=None)
        if (col.configuration or {}).get("hnsw", {}).get("ef_search") != want:
            col.modify(configuration={"hnsw": {"ef_search": want}})

    # -- calls ----------------------------------------------------------------------
    def _collection(self, which: str) -> Any:
        from chromadb.errors import NotFoundError

        try:
            col = self._conn.collection(self._names[which])
        except NotFoundError as exc:
            # Another process dropped the index (`rag ingest --rebuild`). While it is
            # still writing, say so; once it is gone, an empty index is what is there.
            shared = self._conn.shared
            if shared is not None and shared.writer_active():
                raise self._busy(exc) from exc
            with self._conn.writing():
                _create(self._conn, self._settings, self.embedder)
            col = self._conn.collection(self._names[which])
        if which == "chunks" and col is not self._checked:
            _check_model(col, self.embedder.name, self.location)
            self._checked = col
        return col

    def _call(self, which: str, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self._collection(which), method)(*args, **kwargs)
        except RAGError:
            raise
        except Exception as exc:
            # Usually a client that missed another process's writes: open a fresh one.
            log.info("index %s.%s failed (%s); reopening the client", which, method, exc)
        self._conn.close()
        try:
            return getattr(self._collection(which), method)(*args, **kwargs)
        except RAGError:
            raise
        except Exception as exc:
            raise self._failure(which, exc) from exc

    def _busy(self, exc: Exception) -> IndexBusyError:
        shared = self._conn.shared
        who = (shared.owner() if shared is not None else "") or "Another process"
        return IndexBusyError(
            f"{who} is writing the index at {self.location} right now, and it could not be "
            f"read meanwhile ({exc}). Try again in a moment: nothing is lost."
        )

    def _failure(self, which: str, exc: Exception) -> IndexStoreError:
        """The error for a call that failed twice, the second time on a fresh client."""
        from chromadb.errors import NotFoundError

        shared = self._conn.shared
        if shared is not None and shared.writer_active():
            return self._busy(exc)
        if isinstance(exc, NotFoundError):
            return IndexNotReadyError(
                f"The index at {self.location} has no collection {self._names[which]!r} (was "
                f"it deleted by another process?): run `rag ingest` to build it."
            )
        check = (
            f"Check that the Chroma server at {self.location} is running, and its log"
            if shared is None
            else "Check that RAG_DATA_DIR is readable and its disk is not full"
        )
        return IndexStoreError(
            f"The index at {self.location} failed: {exc} (also on a freshly opened client, "
            f"with no other process writing). {check}. If it keeps failing, its files may be "
            "damaged: `rag ingest --rebuild` rebuilds it from your documents (never modified)."
        )


def _check_model(chunks: Any, configured: str, location: str) -> None:
    built_with = (chunks.metadata or {}).get("embedding_model")
    if built_with != configured:
        raise EmbeddingMismatchError(
            f"The index at {location} was built with the embedding model {built_with!r}, "
            f"but {configured!r} is configured (RAG_EMBEDDING_MODEL). Run "
            "`rag ingest --rebuild` to re-embed the corpus with the configured model, "
            "or set RAG_EMBEDDING_MODEL back to the model the index was built with."
        )


_indexes: dict[tuple[str, str, str], ChunkIndex] = {}


def open_index(settings: Settings, embedder: Embedder | None = None) -> ChunkIndex:
    """Open (creating if needed) the index for these settings; cached per process.

    Raises:
        EmbeddingMismatchError: the index was built with another embedding model.
        IndexNotReadyError: the Chroma server cannot be reached.
        IndexBusyError: creating it waited too long for another process's write.
        IndexStoreError: the store cannot be opened.
    """
    embedder = embedder or get_embedder(settings)
    location = location_of(settings)
    key = (location, settings.collection, embedder.name)
    if key in _indexes:
        return _indexes[key]
    conn = connection(settings)
    names = (settings.collection, f"{settings.collection}_files")
    try:
        if not set(names) <= _existing(conn.client()):
            who = busy_writer(settings)
            if who:  # it is building them: a reader does not wait for a whole ingest
                raise IndexBusyError(
                    f"{who} is building the index at {location} right now: ask again when "
                    "it has finished."
                )
            with conn.writing():  # two processes must not both create them
                _create(conn, settings, embedder)
        index = ChunkIndex(conn, settings, embedder)
        index._collection("chunks")  # refuses an index built with another model
    except RAGError:
        raise
    except Exception as exc:
        raise IndexStoreError(
            f"Cannot open the collection {settings.collection!r} at {location}: {exc}. "
            "Check that RAG_DATA_DIR is a readable, writable folder (or the Chroma server "
            "is running), then try again."
        ) from exc
    _indexes[key] = index
    return index


def _existing(client: Any) -> set[str]:
    return {c if isinstance(c, str) else c.name for c in client.list_collections()}


def _create(conn: Connection, settings: Settings, embedder: Embedder) -> None:
    """Create the collections still missing (under the writer lock)."""
    client = conn.client()
    existing = _existing(client)
    if settings.collection not in existing:
        client.create_collection(
            settings.collection,
            embedding_function=ef_class()(settings.embedding_model, settings.embedding_batch_size),
            configuration={"hnsw": {"space": "cosine", "ef_search": settings.hnsw_ef_search}},
            metadata={
                "embedding_model": embedder.name,
                "embedding_dim": embedder.dim,
                "schema": _SCHEMA,
            },
        )
    if f"{settings.collection}_files" not in existing:
        client.get_or_create_collection(f"{settings.collection}_files", embedding_function=None)
    conn.wrote()


def drop_index(settings: Settings) -> None:
    """Delete both collections of this index (``rag ingest --rebuild``), and its BM25 terms."""
    from rag.index.bm25 import drop

    conn = connection(settings)
    location = location_of(settings)
    with conn.writing():
        client = conn.client()
        for key in [k for k in _indexes if k[:2] == (location, settings.collection)]:
            del _indexes[key]
        with contextlib.suppress(Exception):  # no collection: no terms either
            ef_class()
            col = client.get_collection(settings.collection, embedding_function=None)
            drop(terms_path(settings, col.id))
        for name in (settings.collection, f"{settings.collection}_files"):
            try:
                client.delete_collection(name)
            except Exception:  # absent already: nothing to drop
                log.debug("collection %s not present", name)
        conn.wrote()
        conn.close()
