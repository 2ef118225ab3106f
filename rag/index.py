"""The vector store: the only module that imports chromadb.

Two collections per index:
  ``<collection>``        one record per chunk (text, embedding, metadata)
  ``<collection>_files``  one record per ingested file: the manifest (content hash, chunk ids)

Keeping the manifest in Chroma itself means a local folder and a Chroma server behave
the same, and the manifest can never drift from the chunks it describes: it is written
after the chunks, so an interrupted sync is simply redone next time.

    index = open_index(settings)
    index.upsert(chunks, vectors)
    passages = index.query(vector, k=5)
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from rag.embeddings import Embedder, get_embedder
from rag.errors import EmbeddingMismatchError, IndexNotReadyError, IndexStoreError
from rag.types import Chunk, Passage

if TYPE_CHECKING:
    import numpy as np

    from rag.config import Settings

__all__ = ["ChunkIndex", "FileRecord", "drop_index", "get_client", "open_index"]

log = logging.getLogger(__name__)

_SCHEMA = 1
_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


@dataclass(frozen=True)
class FileRecord:
    """What the manifest remembers of one ingested file."""

    source: str
    sha256: str
    chunk_ids: tuple[str, ...]
    title: str = ""
    langs: tuple[str, ...] = ()


def _ef_class() -> type:
    """Our Chroma embedding function, registered so a reopened collection can rebuild it.

    Chroma's own default function downloads an ONNX model and fails offline; this one
    wraps ``rag.embeddings`` instead.
    """
    global _EF
    if _EF is None:
        from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
        from chromadb.utils.embedding_functions import register_embedding_function

        @register_embedding_function
        class RagEmbeddingFunction(EmbeddingFunction[Documents]):
            def __init__(self, model: str = "all-MiniLM-L6-v2", batch_size: int = 32) -> None:
                self.model = model
                self.batch_size = batch_size

            def __call__(self, input: Documents) -> Embeddings:
                from rag.config import Settings

                settings = Settings(embedding_model=self.model)
                return list(get_embedder(settings).embed(list(input)))

            @staticmethod
            def name() -> str:
                return "rag-sentence-transformers"

            def get_config(self) -> dict[str, Any]:
                return {"model": self.model, "batch_size": self.batch_size}

            @staticmethod
            def build_from_config(config: dict[str, Any]) -> RagEmbeddingFunction:
                return RagEmbeddingFunction(config["model"], int(config.get("batch_size", 32)))

            def default_space(self) -> str:  # type: ignore[override]
                return "cosine"

            def supported_spaces(self) -> list[str]:  # type: ignore[override]
                return ["cosine"]

        _EF = RagEmbeddingFunction
    return _EF


_EF: type | None = None


def get_client(settings: Settings) -> Any:
    """The Chroma client for these settings: a server when ``RAG_CHROMA_URL`` is set,
    else a persistent local store under ``RAG_DATA_DIR``. One per location per process.

    Raises:
        IndexNotReadyError: the server cannot be reached.
        IndexStoreError: the local store cannot be opened.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    key = settings.chroma_url or str(Path(settings.data_dir).resolve())
    with _clients_lock:
        if key in _clients:
            return _clients[key]
        if settings.chroma_url:
            url = urlparse(settings.chroma_url)
            if not url.hostname:
                raise IndexNotReadyError(
                    f"RAG_CHROMA_URL={settings.chroma_url!r} is not a URL like "
                    "http://127.0.0.1:8000."
                )
            try:
                client = chromadb.HttpClient(
                    host=url.hostname,
                    port=url.port or (443 if url.scheme == "https" else 8000),
                    ssl=url.scheme == "https",
                    settings=chroma_settings,
                )
                client.heartbeat()
            except Exception as exc:
                raise IndexNotReadyError(
                    f"Cannot reach the Chroma server at {settings.chroma_url} ({exc}). "
                    "Start it with `chroma run --path DIR --host 127.0.0.1 --port 8000`, "
                    "or unset RAG_CHROMA_URL to use a local index."
                ) from exc
        else:
            path = Path(settings.data_dir) / "chroma"
            try:
                path.mkdir(parents=True, exist_ok=True)
                client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
            except Exception as exc:
                raise IndexStoreError(
                    f"Cannot open the index at {path} ({exc}). Check that RAG_DATA_DIR is a "
                    "writable folder, or point it somewhere else."
                ) from exc
        _clients[key] = client
        return client


def _where(settings: Settings) -> str:
    return settings.chroma_url or str(Path(settings.data_dir).resolve() / "chroma")


class ChunkIndex:
    """Chunks and the file manifest in Chroma; see the module docstring."""

    def __init__(self, chunks: Any, files: Any, embedder: Embedder, location: str) -> None:
        self._chunks = chunks
        self._files = files
        self.embedder = embedder
        self.location = location

    # -- chunks ---------------------------------------------------------------------
    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray, sha256: str = "") -> None:
        """Insert or replace chunks with their embeddings (batched for Chroma's limits)."""
        step = 1000
        for i in range(0, len(chunks), step):
            part = chunks[i : i + step]
            self._call(
                self._chunks.upsert,
                ids=[c.id for c in part],
                documents=[c.text for c in part],
                embeddings=vectors[i : i + step],
                metadatas=[_chunk_meta(c, sha256) for c in part],
            )

    def delete(self, ids: Iterable[str]) -> None:
        """Remove chunks by id."""
        ids = list(ids)
        for i in range(0, len(ids), 1000):
            self._call(self._chunks.delete, ids=ids[i : i + 1000])

    def query(
        self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None
    ) -> list[Passage]:
        """The ``k`` nearest chunks as passages, best first; score = cosine similarity."""
        n = self.count()
        if n == 0:
            return []
        res = self._call(
            self._chunks.query,
            query_embeddings=[vector],
            n_results=min(k, n),
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        return [
            _passage(cid, doc, meta, 1.0 - float(dist))
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
        res = self._call(self._chunks.get, ids=list(ids), include=["documents", "metadatas"])
        found = {
            cid: _passage(cid, doc, meta, 0.0)
            for cid, doc, meta in zip(res["ids"], res["documents"], res["metadatas"], strict=True)
        }
        return [found[i] for i in ids if i in found]

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored embeddings by chunk id."""
        import numpy as np

        if not ids:
            return {}
        res = self._call(self._chunks.get, ids=list(ids), include=["embeddings"])
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
                self._chunks.get, include=["documents", "metadatas"], limit=page, offset=offset
            )
            out += [
                _passage(cid, doc, meta, 0.0)
                for cid, doc, meta in zip(
                    res["ids"], res["documents"], res["metadatas"], strict=True
                )
            ]
            if len(res["ids"]) < page:
                return out
            offset += page

    def count(self) -> int:
        """Number of chunks."""
        return int(self._call(self._chunks.count))

    # -- manifest -------------------------------------------------------------------
    def files(self) -> dict[str, FileRecord]:
        """The manifest: source -> FileRecord."""
        res = self._call(self._files.get, include=["metadatas"])
        return {
            sid: FileRecord(
                source=sid,
                sha256=str(meta["sha256"]),
                chunk_ids=tuple(json.loads(str(meta["chunk_ids"]))),
                title=str(meta.get("title", "")),
                langs=tuple(str(meta.get("langs", "")).split(",")) if meta.get("langs") else (),
            )
            for sid, meta in zip(res["ids"], res["metadatas"], strict=True)
        }

    def put_file(self, record: FileRecord) -> None:
        """Record a file as ingested (call after its chunks are stored)."""
        meta = {
            "sha256": record.sha256,
            "chunk_ids": json.dumps(list(record.chunk_ids)),
            "title": record.title,
            "langs": ",".join(record.langs),
        }
        # The manifest needs no similarity search; a constant vector keeps Chroma happy.
        self._call(self._files.upsert, ids=[record.source], embeddings=[[1.0]], metadatas=[meta])

    def remove_file(self, source: str) -> None:
        """Forget a file and delete its chunks (manifest entry last)."""
        record = self.files().get(source)
        if record:
            self.delete(record.chunk_ids)
        self._call(self._files.delete, ids=[source])

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise IndexStoreError(
                f"The index at {self.location} failed: {exc}. If it is corrupted, rebuild it "
                "with `rag ingest --rebuild`."
            ) from exc


def _chunk_meta(c: Chunk, sha256: str) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "source": c.source,
        "title": c.title,
        "lang": c.lang,
        "start": c.start,
        "end": c.end,
        "labels": "|".join(c.labels),
        "locator": c.locator,
        "ordinal": c.ordinal,
        "sha256": sha256,
    }
    if c.date:
        meta["date"] = c.date
    return meta


def _passage(cid: str, doc: str | None, meta: dict[str, Any] | None, score: float) -> Passage:
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
    )


_indexes: dict[tuple[str, str, str], ChunkIndex] = {}


def open_index(settings: Settings, embedder: Embedder | None = None) -> ChunkIndex:
    """Open (creating if needed) the index for these settings; cached per process.

    Raises:
        EmbeddingMismatchError: the index was built with another embedding model.
        IndexNotReadyError: the Chroma server cannot be reached.
        IndexStoreError: the store cannot be opened.
    """
    embedder = embedder or get_embedder(settings)
    location = _where(settings)
    key = (location, settings.collection, embedder.name)
    if key in _indexes:
        return _indexes[key]
    client = get_client(settings)
    ef = _ef_class()(settings.embedding_model, settings.embedding_batch_size)
    try:
        existing = {c if isinstance(c, str) else c.name for c in client.list_collections()}
        if settings.collection in existing:
            chunks = client.get_collection(settings.collection, embedding_function=None)
            built_with = (chunks.metadata or {}).get("embedding_model")
            if built_with != embedder.name:
                raise EmbeddingMismatchError(
                    f"The index at {location} was built with the embedding model {built_with!r}, "
                    f"but {embedder.name!r} is configured (RAG_EMBEDDING_MODEL). Run "
                    "`rag ingest --rebuild` to re-embed the corpus with the configured model, "
                    f"or set RAG_EMBEDDING_MODEL back to the model the index was built with."
                )
            chunks = client.get_collection(settings.collection, embedding_function=ef)
        else:
            chunks = client.create_collection(
                settings.collection,
                embedding_function=ef,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={
                    "embedding_model": embedder.name,
                    "embedding_dim": embedder.dim,
                    "schema": _SCHEMA,
                },
            )
        files = client.get_or_create_collection(
            f"{settings.collection}_files", embedding_function=None
        )
    except (EmbeddingMismatchError, IndexStoreError):
        raise
    except Exception as exc:
        raise IndexStoreError(
            f"Cannot open the collection {settings.collection!r} at {location}: {exc}. "
            "Rebuild it with `rag ingest --rebuild`."
        ) from exc
    _indexes[key] = ChunkIndex(chunks, files, embedder, location)
    return _indexes[key]


def drop_index(settings: Settings) -> None:
    """Delete both collections of this index (``rag ingest --rebuild``)."""
    client = get_client(settings)
    location = _where(settings)
    for key in [k for k in _indexes if k[:2] == (location, settings.collection)]:
        del _indexes[key]
    for name in (settings.collection, f"{settings.collection}_files"):
        try:
            client.delete_collection(name)
        except Exception:  # absent already: nothing to drop
            log.debug("collection %s not present", name)
