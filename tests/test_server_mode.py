"""Server mode: the same code against a real `chroma run` server on 127.0.0.1."""

from __future__ import annotations

import shutil

import pytest

from rag import answer, sync_corpus
from rag.config import Settings
from rag.errors import IndexNotReadyError
from rag.index import open_index

pytestmark = pytest.mark.server


def test_sync_and_answer_through_a_chroma_server(chroma_url, seeds_dir, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(seeds_dir, corpus)
    settings = Settings(
        chroma_url=chroma_url,
        corpus_dir=corpus,
        llm_backend="extractive",
        data_dir=tmp_path / "unused",
    )
    report = sync_corpus(settings)
    assert len(report.added) == 5 and report.chunks_total > 50
    assert sync_corpus(settings).chunks_written == 0  # manifest lives on the server too
    a = answer("How many political prisoners does the Assembly want released?", settings=settings)
    assert "39" in a.text and a.citations[0].source == "003_8055ac30947230f7.txt"
    assert not (tmp_path / "unused").exists()  # nothing written locally in server mode


def test_server_down_is_one_clear_error(free_port):
    settings = Settings(chroma_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(IndexNotReadyError, match="chroma run"):
        open_index(settings)
