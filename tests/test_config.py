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
