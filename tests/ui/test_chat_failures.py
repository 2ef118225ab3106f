"""The chat's answer handler when the OpenAI-compatible server fails mid-answer (#15 item 7).

The app (``build_app``) is served in this process and driven over HTTP like a browser
session pressing Send (tests/gradio_app.py); the server is a real HTTP peer that dies,
ends its stream early, stalls, answers 500 or hangs (tests/answer_peer.py). The chat shows
the draft while it streams, then one error bubble; the history the browser keeps and
the feedback log get nothing of the half-written answer.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator

import pytest
from answer_peer import AnswerPeer
from gradio_app import chat_turn, client, served

from ui.feedback import FEEDBACK_FILE, rate

QUESTION = "When and at which sitting was Resolution 2616 adopted by the Assembly?"
FAILURES = {
    "die": ("broke while streaming", True),
    "cut": ("stopped in the middle of its reply", True),
    "stall": ("did not answer within 2 s", True),
    "500": ("failed (HTTP 500 after 3 tries", False),
    "hang": ("did not answer within 2 s", False),
}


@pytest.fixture(scope="module")
def app(seed_settings) -> Iterator[tuple]:  # type: ignore[type-arg]
    peer = AnswerPeer().start()
    settings = seed_settings.replace(
        llm_backend="openai",
        openai_base_url=peer.base_url,
        request_timeout=2.0,
        data_dir=seed_settings.data_dir,
    )
    with served(settings) as url:
        yield url, peer, settings
    peer.stop()


def bubble_text(message: dict) -> str:  # type: ignore[type-arg]
    """The words of a chat bubble as the user reads them."""
    content = message["content"]
    raw = content[0]["text"] if isinstance(content, list) else str(content)
    return html.unescape(re.sub(r"<[^>]+>", " ", raw))


@pytest.mark.slow
@pytest.mark.parametrize("mode", FAILURES)
def test_a_failed_answer_leaves_one_error_bubble_and_nothing_half_written(app, mode):
    url, peer, settings = app
    feedback = settings.data_dir / FEEDBACK_FILE
    feedback.unlink(missing_ok=True)
    peer.mode = mode
    session = client(url)
    turn = chat_turn(session, QUESTION, backend="openai")

    says, partial = FAILURES[mode]
    drafts = [
        bubble_text(u[0][-1])
        for u in turn.updates
        if "answer streaming" in str(u[0][-1]["content"])
    ]
    draft = max(drafts, key=len).replace("Checking each sentence against its source…", "")
    assert bool(draft.strip()) == partial, drafts  # the half answer was on screen

    [stored] = turn.store["turns"]
    assert stored["answer"] is None and says in stored["error"]
    assert "ask again" in stored["error"] or "RAG_" in stored["error"]  # what to do
    last = bubble_text(turn.chat[-1])
    assert says in last and "answer error" in str(turn.chat[-1]["content"])
    if partial:
        kept = json.dumps(turn.store) + "".join(bubble_text(m) for m in turn.chat)
        assert draft.strip() not in kept  # neither the history nor the chat keeps it

    assert rate(settings, turn.store["turns"], 1, liked=False) == "Nothing to rate here."
    assert not feedback.exists()

    peer.mode = "answer"  # the server is back: the same session asks again
    again = chat_turn(session, QUESTION, store=turn.store, backend="openai")
    first, second = again.store["turns"]
    assert first == stored and second["answer"]["citations"]
    assert rate(settings, again.store["turns"], 3, liked=True).startswith("Thanks")
    [record] = [json.loads(line) for line in feedback.read_text().splitlines()]
    assert record["answer"] == second["answer"]["text"] and record["liked"] is True
    feedback.unlink()
