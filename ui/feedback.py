"""Thumbs up/down on an answer, appended as one JSON line to ``<data_dir>/feedback.jsonl``.

A record holds what is needed to study the answer later (question, answer text,
citations, backend, timings, trace) and nothing about the configuration, so never an
API key; as a second guard, the key's value is blanked if it appears anywhere.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.config import Settings

__all__ = ["FEEDBACK_FILE", "rate", "record_feedback"]

FEEDBACK_FILE = "feedback.jsonl"
_lock = threading.Lock()


def record_feedback(
    settings: Settings,
    answer: dict[str, Any],
    *,
    liked: bool | None,
    comment: str = "",
) -> Path:
    """Append one feedback record for ``answer`` (an ``Answer.to_dict()``).

    Returns:
        The JSONL file written.
    """
    record = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "liked": liked,
        "comment": comment.strip()[:2000],
        "question": answer.get("question", ""),
        "answer": answer.get("text", ""),
        "abstained": answer.get("abstained"),
        "citations": answer.get("citations", []),
        "unsupported": answer.get("unsupported", []),
        "backend": answer.get("backend", ""),
        "timings": answer.get("timings", {}),
        "trace": answer.get("trace", []),
    }
    line = json.dumps(record, ensure_ascii=False)
    key = settings.openai_api_key
    if key:
        line = line.replace(json.dumps(key)[1:-1], "***")
    path = Path(settings.data_dir) / FEEDBACK_FILE
    with _lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")
    return path


def rate(
    settings: Settings,
    turns: Sequence[dict[str, Any]],
    message_index: int,
    *,
    liked: bool | None,
    comment: str = "",
) -> str:
    """The chat's like/dislike on bubble ``message_index`` (two per turn): recorded only
    for a turn that has an answer, never for an error or a stopped answer.

    Returns:
        What the chat says back.
    """
    i = message_index // 2
    turn = turns[i] if 0 <= i < len(turns) else None
    if not turn or not turn.get("answer"):
        return "Nothing to rate here."
    record_feedback(settings, turn["answer"], liked=liked, comment=comment)
    return "Thanks: your feedback was saved."
