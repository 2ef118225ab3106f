"""The chat UI served in this test process, and its /chat turn driven over HTTP.

``served(settings)`` launches ``build_app(settings)`` on a free port (the same Blocks and
queue settings ``rag serve`` uses; no browser). ``chat_turn`` is what one browser session
does when Send is pressed: gradio_client calls /chat with the session's stored turns and
gets every streamed update, then the final (chat, sources, store, box).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from rag.config import Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(settings: Settings) -> Iterator[str]:
    """The app's URL while it runs."""
    from ui.app import build_app

    demo = build_app(settings)
    port = _free_port()
    demo.launch(
        server_name="127.0.0.1",
        server_port=port,
        prevent_thread_lock=True,
        quiet=True,
        share=False,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        demo.close()


@dataclass
class Turn:
    updates: list[Any]  # every streamed (chat, sources, store, box) before the last
    chat: list[dict[str, Any]]  # the final chat messages
    store: dict[str, Any]  # what the browser keeps: {"turns": [...]}


def client(url: str) -> Any:
    """A gradio_client session (its own session hash, like one browser tab)."""
    from gradio_client import Client

    return Client(url, verbose=False, download_files=False)


def chat_turn(
    session: Any,
    question: str,
    store: dict[str, Any] | None = None,
    backend: str = "extractive",
    k: int = 5,
) -> Turn:
    """Press Send in ``session`` with ``question``; wait for the answer."""
    job = session.submit(question, store or {"turns": []}, backend, k, api_name="/chat")
    final = job.result(timeout=600)
    updates = list(job.outputs())
    return Turn(updates=updates, chat=list(final[0] or []), store=final[2])
