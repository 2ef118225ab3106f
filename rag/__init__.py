"""Cited question answering over a folder of documents, offline.

    >>> from rag import answer
    >>> a = answer("When does the first ferry leave?")
    >>> print(a.text, [c.source for c in a.citations])

Heavy libraries (torch, chromadb, llama.cpp, gradio) load on first use, not on import.
"""

from rag.answer import answer, stream_answer
from rag.config import Settings
from rag.errors import (
    BackendError,
    ConfigError,
    EmbeddingError,
    EmbeddingMismatchError,
    IndexBusyError,
    IndexNotReadyError,
    IndexStoreError,
    IngestError,
    QuestionError,
    RAGError,
)
from rag.retrieve import retrieve
from rag.sync import SyncReport, sync_corpus
from rag.types import Answer, Chunk, Citation, Document, Passage, Turn

__all__ = [
    "Answer",
    "BackendError",
    "Chunk",
    "Citation",
    "ConfigError",
    "Document",
    "EmbeddingError",
    "EmbeddingMismatchError",
    "IndexBusyError",
    "IndexNotReadyError",
    "IndexStoreError",
    "IngestError",
    "Passage",
    "QuestionError",
    "RAGError",
    "Settings",
    "SyncReport",
    "Turn",
    "answer",
    "retrieve",
    "stream_answer",
    "sync_corpus",
]

__version__ = "0.1.0"
