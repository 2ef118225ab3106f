"""Every error a user can cause, as one small tree. The UI and CLI catch ``RAGError``
and show its message, which always says what to do next.

    RAGError
    ├── ConfigError            bad setting or environment variable
    │   └── DatasetError            an evaluation dataset file is missing or malformed
    ├── QuestionError          empty or unusable question
    ├── IngestError            a file or the corpus folder cannot be read
    ├── IndexStoreError        the vector store failed
    │   ├── IndexNotReadyError      no index yet / Chroma server unreachable
    │   ├── IndexBusyError          another process is writing the index
    │   └── EmbeddingMismatchError  index built with another embedding model
    ├── EmbeddingError         the embedding model cannot be loaded
    └── BackendError           the LLM backend failed (model missing, server down, ...)
"""

from __future__ import annotations

__all__ = [
    "BackendError",
    "ConfigError",
    "DatasetError",
    "EmbeddingError",
    "EmbeddingMismatchError",
    "IndexBusyError",
    "IndexNotReadyError",
    "IndexStoreError",
    "IngestError",
    "QuestionError",
    "RAGError",
]


class RAGError(Exception):
    """Base class: the message is meant for the user and says how to fix the problem."""


class ConfigError(RAGError):
    """A setting (usually a ``RAG_*`` environment variable) is invalid."""


class DatasetError(ConfigError):
    """An evaluation dataset (JSONL) cannot be read or a line of it is invalid."""


class QuestionError(RAGError):
    """The question is empty or cannot be answered as asked."""


class IngestError(RAGError):
    """A file, or the corpus folder, cannot be loaded."""


class IndexStoreError(RAGError):
    """The vector store (Chroma) failed."""


class IndexNotReadyError(IndexStoreError):
    """The index does not exist yet or the Chroma server cannot be reached."""


class IndexBusyError(IndexStoreError):
    """Another process is writing the local index and did not finish in time."""


class EmbeddingMismatchError(IndexStoreError):
    """The index was built with a different embedding model than the one configured."""


class EmbeddingError(RAGError):
    """The embedding model cannot be loaded or used."""


class BackendError(RAGError):
    """The LLM backend failed: model missing, server unreachable, bad key, timeout..."""
