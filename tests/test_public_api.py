"""The public surface is pinned: changing it is a deliberate act."""

import subprocess
import sys

import rag


def test_public_api_is_pinned():
    assert rag.__all__ == [
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
    assert all(hasattr(rag, name) for name in rag.__all__)


def test_import_rag_loads_no_heavy_library():
    code = (
        "import sys, rag; heavy = [m for m in ('torch', 'chromadb', 'llama_cpp', 'gradio', "
        "'sentence_transformers') if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
