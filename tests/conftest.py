"""Shared fixtures: real Chroma in temporary folders, the real packaged embedding model."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from rag.config import Settings

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, proc: subprocess.Popen[bytes], seconds: float) -> bool:
    """Poll ``url`` until it answers 200 (True), or the process dies or time runs out."""
    deadline = time.monotonic() + seconds
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    return False


@pytest.fixture(scope="session")
def wait_http():  # type: ignore[no-untyped-def]
    """``wait_http(url, proc, seconds) -> bool``: wait for a server the test started."""
    return _wait_http


@pytest.fixture(scope="session")
def free_port():  # type: ignore[no-untyped-def]
    """A function returning a TCP port nobody listens on right now."""
    return _free_port


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory, free_port, wait_http) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A real ``chroma run`` on 127.0.0.1 for the module's tests; its URL."""
    port = free_port()
    chroma = Path(sys.executable).parent / "chroma"
    path = tmp_path_factory.mktemp("chroma")
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_http(f"{url}/api/v2/heartbeat", proc, 60):
            raise RuntimeError("chroma run did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for an index of a copy of seeds/, built once per test session."""
    from rag.sync import sync_corpus

    base = tmp_path_factory.mktemp("seedindex")
    corpus = base / "corpus"
    # Only the shipped documents: files a user uploaded through `make run` land in
    # seeds/uploads/ and are not part of the demo corpus the tests know.
    shutil.copytree(SEEDS, corpus, ignore=shutil.ignore_patterns("uploads"))
    settings = Settings(data_dir=base / "data", corpus_dir=corpus, llm_backend="extractive")
    report = sync_corpus(settings)
    assert not report.skipped and len(report.added) == 5
    return settings


@pytest.fixture
def make_settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Factory: Settings for a fresh corpus folder and index under tmp_path."""

    def make(files: dict[str, str | bytes] | None = None, **kw: object) -> Settings:
        corpus = tmp_path / "corpus"
        corpus.mkdir(exist_ok=True)
        for name, content in (files or {}).items():
            path = corpus / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        defaults: dict[str, object] = {
            "data_dir": tmp_path / "data",
            "corpus_dir": corpus,
            "llm_backend": "extractive",
        }
        defaults.update(kw)
        return Settings(**defaults)  # type: ignore[arg-type]

    return make


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    """The real packaged MiniLM embedder, loaded once per session."""
    from rag.embeddings import get_embedder

    return get_embedder(Settings())


@pytest.fixture
def answer_peer():  # type: ignore[no-untyped-def]
    """Factory: ``answer_peer(mode="answer", api_key=None, barrier=0)`` starts a real
    OpenAI-compatible server that answers from the prompt (tests/answer_peer.py)."""
    from answer_peer import AnswerPeer

    peers: list[AnswerPeer] = []

    def start(**kw: object) -> AnswerPeer:
        peer = AnswerPeer(**kw).start()  # type: ignore[arg-type]
        peers.append(peer)
        return peer

    yield start
    for peer in peers:
        peer.stop()
