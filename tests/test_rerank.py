"""The optional cross-encoder reranker (``RAG_RERANKER_MODEL``, #16 item 2).

No cross-encoder is packaged, so the test makes a real one: the packaged MiniLM with a
freshly initialised (seeded) one-label classification head, saved as a sentence-transformers
cross-encoder directory. Its scores mean nothing, which is the point: the passages
``retrieve`` returns must come in that model's order, which the fused order is not.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from rag.config import Settings
from rag.errors import ConfigError
from rag.rerank import get_reranker
from rag.retrieve import retrieve
from rag.sync import sync_corpus

DOCS = {
    "ferry.txt": "The Lakeside ferry line opened in May 2019. It crosses the lake in forty "
    "minutes and carries bicycles for free.",
    "bridge.txt": "The old bridge over the lake closed to cars in 2021. Pedestrians still "
    "use it on weekends.",
    "harbour.txt": "The harbour office sells ferry tickets from six in the morning. Monthly "
    "passes for the ferry cost forty euros.",
    "museum.txt": "The lake museum shows the history of the ferry boats built in the town "
    "since 1890.",
    "schedule.txt": "In winter the ferry runs every two hours; in summer every half hour, "
    "from the harbour to the island.",
    "weather.txt": "Storms on the lake stop the ferry about ten days a year, mostly in November.",
}
QUESTION = "When does the ferry run?"


@pytest.fixture(scope="module")
def cross_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from sentence_transformers import CrossEncoder

    from rag.embeddings import get_embedder

    torch.manual_seed(7)
    model_dir = get_embedder(Settings()).model_dir
    model = CrossEncoder(str(model_dir), num_labels=1, device="cpu", local_files_only=True)
    out = tmp_path_factory.mktemp("cross-encoder")
    model.save(str(out))
    return out


@pytest.fixture(scope="module")
def ferry(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    base = tmp_path_factory.mktemp("rerank")
    corpus = base / "corpus"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = Settings(data_dir=base / "data", corpus_dir=corpus, llm_backend="extractive")
    assert len(sync_corpus(settings).added) == len(DOCS)
    return settings


def _descending(values: list[float]) -> bool:
    return all(a >= b for a, b in pairwise(values))


def test_retrieval_follows_the_cross_encoder(ferry: Settings, cross_encoder_dir: Path) -> None:
    plain = retrieve(QUESTION, ferry, k=6)
    settings = ferry.replace(reranker_model=str(cross_encoder_dir), reranker_candidates=20)
    reranked = retrieve(QUESTION, settings, k=6)
    reranker = get_reranker(settings)
    assert reranker is not None
    assert {p.chunk_id for p in reranked} == {p.chunk_id for p in plain}
    assert _descending(reranker.scores(QUESTION, [p.text for p in reranked]))
    # The fused order is not the model's: the reranker really reordered.
    assert not _descending(reranker.scores(QUESTION, [p.text for p in plain]))
    # Scores shown to readers stay the dense cosine of each passage.
    cosine = {p.chunk_id: p.score for p in plain}
    assert all(p.score == pytest.approx(cosine[p.chunk_id]) for p in reranked)


def test_only_the_first_candidates_are_reordered(ferry: Settings, cross_encoder_dir: Path) -> None:
    plain = retrieve(QUESTION, ferry, k=6)
    reranker = get_reranker(ferry.replace(reranker_model=str(cross_encoder_dir)))
    assert reranker is not None
    head = reranker.rerank(QUESTION, plain, 3)
    assert [p.chunk_id for p in head[3:]] == [p.chunk_id for p in plain[3:]]
    assert {p.chunk_id for p in head[:3]} == {p.chunk_id for p in plain[:3]}


def test_a_missing_reranker_says_what_to_do(ferry: Settings, tmp_path: Path) -> None:
    assert get_reranker(ferry) is None  # unset: no reranker, no error
    with pytest.raises(ConfigError, match="RAG_RERANKER_MODEL") as err:
        retrieve(QUESTION, ferry.replace(reranker_model=str(tmp_path / "nowhere")), k=3)
    assert "unset it" in str(err.value)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ConfigError, match="Cannot load the reranker"):
        retrieve(QUESTION, ferry.replace(reranker_model=str(tmp_path / "broken")), k=3)


def test_settings_read_the_reranker_from_the_environment() -> None:
    s = Settings.from_env({"RAG_RERANKER_MODEL": "/models/ce", "RAG_RERANKER_CANDIDATES": "12"})
    assert (s.reranker_model, s.reranker_candidates) == ("/models/ce", 12)
    with pytest.raises(ConfigError, match="RAG_RERANKER_CANDIDATES"):
        Settings(reranker_candidates=0)
