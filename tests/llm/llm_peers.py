"""Helpers shared by the LLM tests: free ports and scripted HTTP replies (no pytest here)."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def sse_reply(*pieces: str) -> Reply:
    """A 200 text/event-stream reply streaming ``pieces`` then ``[DONE]``."""
    events = [
        "data: " + json.dumps({"choices": [{"index": 0, "delta": {"content": p}}]}) + "\n\n"
        for p in pieces
    ]
    events.append("data: [DONE]\n\n")
    return Reply(200, "".join(events).encode(), {"Content-Type": "text/event-stream"})


def json_reply(status: int, obj: object, **headers: str) -> Reply:
    """A JSON reply."""
    return Reply(status, json.dumps(obj).encode(), {"Content-Type": "application/json", **headers})
