"""Chroma clients, one per location per process, reopened when another process wrote.

A local store's client is compared, before every call, with the data folder's generation
(``rag.sharing``); when another process bumped it, the client is closed and a fresh one
opened, which reads the store as it is on disk now.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from rag.embeddings import get_embedder
from rag.errors import IndexNotReadyError, IndexStoreError
from rag.sharing import SharedStore, shared_store

if TYPE_CHECKING:
    from rag.config import Settings

__all__ = ["Connection", "busy_writer", "connection", "ef_class", "get_client", "where", "writer"]

log = logging.getLogger(__name__)


def ef_class() -> type:
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


def _open_client(settings: Settings) -> Any:
    """A new Chroma client: a server when ``RAG_CHROMA_URL`` is set, else the local store."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if not url.hostname:
            raise IndexNotReadyError(
                f"RAG_CHROMA_URL={settings.chroma_url!r} is not a URL like http://127.0.0.1:8000."
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
        return client
    path = Path(settings.data_dir) / "chroma"
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:
        raise IndexStoreError(
            f"Cannot open the index at {path} ({exc}). Check that RAG_DATA_DIR is a folder "
            "you can read and write on a disk with free space. If it is and this repeats, "
            f"the index files are damaged: move {path} aside and run `rag ingest` to build "
            "it again from your documents (they are never modified)."
        ) from exc


class Connection:
    """The Chroma client of one location, reopened when another process changed it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.location = where(settings)
        # A Chroma server serves every process the same state: nothing to coordinate.
        self.shared: SharedStore | None = (
            None if settings.chroma_url else shared_store(Path(settings.data_dir))
        )
        self._client: Any = None
        self._collections: dict[str, Any] = {}
        self._seen = ""
        self._lock = threading.RLock()

    def client(self) -> Any:
        """The client, reopened first if another process wrote since it was opened."""
        with self._lock:
            changed = self.shared is not None and self.shared.generation() != self._seen
            if self._client is not None and changed:
                log.info("the index at %s changed in another process: reopening", self.location)
                self.close()
            if self._client is None:
                self._seen = self.shared.generation() if self.shared is not None else ""
                self._client = _open_client(self.settings)
            return self._client

    def collection(self, name: str) -> Any:
        """A collection of the current client (our embedding function is registered, so
        Chroma rebuilds it from the collection's configuration)."""
        with self._lock:
            client = self.client()
            if name not in self._collections:
                ef_class()
                self._collections[name] = client.get_collection(name, embedding_function=None)
            return self._collections[name]

    def close(self) -> None:
        """Drop the client and its collections; the next call opens a fresh one."""
        with self._lock:
            client, self._client = self._client, None
            self._collections.clear()
            if client is not None and self.shared is not None:
                with contextlib.suppress(Exception):
                    client.close()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the writer lock of a local index (nothing for a server)."""
        if self.shared is None:
            yield
            return
        with self.shared.writing(self.settings.index_lock_timeout):
            yield

    def wrote(self) -> None:
        """Tell other processes the index changed (this one's client is current)."""
        if self.shared is not None:
            with self._lock:
                self._seen = self.shared.bump()


_connections: dict[str, Connection] = {}
_connections_lock = threading.Lock()


def connection(settings: Settings) -> Connection:
    key = where(settings)
    with _connections_lock:
        if key not in _connections:
            _connections[key] = Connection(settings)
        return _connections[key]


def get_client(settings: Settings) -> Any:
    """The Chroma client for these settings: a server when ``RAG_CHROMA_URL`` is set,
    else a persistent local store under ``RAG_DATA_DIR``. One per location per process,
    reopened when another process changed the local store.

    Raises:
        IndexNotReadyError: the server cannot be reached.
        IndexStoreError: the local store cannot be opened.
    """
    return connection(settings).client()


def writer(settings: Settings) -> contextlib.AbstractContextManager[None]:
    """Hold the writer lock of this index while the block runs (re-entrant): another
    process's write waits, saying so, for up to ``RAG_INDEX_LOCK_TIMEOUT`` seconds.

    Raises:
        IndexBusyError: another process kept writing for longer than that.
    """
    return connection(settings).writing()


def busy_writer(settings: Settings) -> str | None:
    """Who else is writing this local index right now ("process 42 (rag ingest ...)"),
    or None: nobody, this process, or a Chroma server (which coordinates itself)."""
    shared = connection(settings).shared
    if shared is None or not shared.writer_active():
        return None
    return shared.owner() or "another process"


def where(settings: Settings) -> str:
    return settings.chroma_url or str(Path(settings.data_dir).resolve() / "chroma")
