"""The Chroma wrapper: model recorded in the index, mismatch detection, queries."""

from __future__ import annotations

import pytest

from rag.embeddings import Embedder, get_embedder
from rag.errors import EmbeddingMismatchError
from rag.index import drop_index, open_index
from rag.sync import sync_corpus


def test_index_records_the_embedding_model_and_refuses_another(make_settings):
    settings = make_settings({"a.txt": "Water boils at 100 degrees."})
    # Another model's name on an index: what a user gets after switching RAG_EMBEDDING_MODEL.
    real = get_embedder(settings.replace(embedding_model="all-MiniLM-L6-v2"))
    other = Embedder("someone/other-model", real.model_dir)
    open_index(settings, embedder=other)  # creates the collection for "other"
    with pytest.raises(EmbeddingMismatchError) as err:
        sync_corpus(settings)
    message = str(err.value)
    assert "someone/other-model" in message and "rag ingest --rebuild" in message


def test_rebuild_resolves_a_model_mismatch(make_settings):
    settings = make_settings({"a.txt": "Water boils at 100 degrees."})
    real = get_embedder(settings.replace(embedding_model="all-MiniLM-L6-v2"))
    open_index(settings, embedder=Embedder("someone/other-model", real.model_dir))
    report = sync_corpus(settings, rebuild=True)
    assert report.added == ["a.txt"]
    assert open_index(settings).count() == report.chunks_total


def test_query_returns_scored_passages_best_first(seed_settings):
    index = open_index(seed_settings)
    vec = index.embedder.embed(["abolition of the death penalty"])[0]
    passages = index.query(vec, 5)
    assert len(passages) == 5
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    assert all(-1.0 <= p.score <= 1.0 and p.source and p.text for p in passages)


def test_drop_index_empties_it(make_settings):
    settings = make_settings({"a.txt": "Water boils at 100 degrees."})
    sync_corpus(settings)
    drop_index(settings)
    assert open_index(settings).count() == 0


def _ef_search(settings) -> int:  # type: ignore[no-untyped-def]
    """What Chroma itself reports for the chunk collection, read through a new client."""
    import chromadb

    from rag.index.chunks import ef_class

    ef_class()  # the collection's embedding function must be registered to read it
    client = chromadb.PersistentClient(str(settings.data_dir / "chroma"))
    config = client.get_collection(settings.collection).configuration
    return config["hnsw"]["ef_search"]


def test_the_dense_index_searches_as_broadly_as_settings_say(make_settings):
    settings = make_settings({"a.txt": "Water boils at 100 degrees."}, hnsw_ef_search=100)
    sync_corpus(settings)
    assert _ef_search(settings) == 100
    # An index built with another value (or before the setting) gets it at the next sync.
    sync_corpus(settings.replace(hnsw_ef_search=400))
    assert _ef_search(settings) == 400
