"""The browser's copy of the chat: it round-trips an Answer, renders the same bubbles,
and gives follow-ups plain answer text, never the rendered HTML."""

from __future__ import annotations

import json

from rag.types import Answer, Citation, Passage
from ui.history import answer_from_dict, answers, chat_messages, model_history, panel

P = Passage(
    "c1",
    "a.txt",
    "The Assembly calls for releasing 39 prisoners.",
    0.8,
    title="Res",
    translations=("c2",),
)
A = Answer(
    question="How many?",
    text="It wants 39 prisoners released [1].",
    abstained=False,
    citations=[Citation(1, "a.txt", "c1", quote="releasing 39 prisoners")],
    passages=[P],
    backend="extractive",
    trace=[{"step": "retrieve", "ms": 2.0}],
)


def _turns() -> list[dict]:
    # What the browser hands back: JSON, not Python objects.
    return json.loads(
        json.dumps(
            [
                {"question": "How many?", "answer": A.to_dict(), "error": None},
                {"question": "x" * 9000, "answer": None, "error": "The question is too long."},
            ]
        )
    )


def test_an_answer_survives_the_round_trip_through_json():
    assert answer_from_dict(_turns()[0]["answer"]) == A


def test_unknown_keys_from_another_version_are_ignored():
    data = {**A.to_dict(), "new_field": 1}
    data["passages"][0]["new_too"] = 2
    assert answer_from_dict(data) == A


def test_a_turn_that_cannot_be_read_is_skipped_not_fatal():
    assert answers([{"question": "q", "answer": {"text": "no question key"}}]) == []


def test_chat_messages_alternate_and_render_chips_and_errors():
    messages = chat_messages(_turns())
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert 'class="cite t-0 n-1"' in messages[1]["content"]
    assert "too long" in messages[3]["content"] and "answer error" in messages[3]["content"]


def test_follow_ups_get_plain_text_not_html():
    history = model_history(_turns())
    assert history == [
        {"role": "user", "content": "How many?"},
        {"role": "assistant", "content": "It wants 39 prisoners released."},
    ]  # no HTML, and no [1]: it would point into this answer's passages, not the next one's


def test_the_panel_shows_the_last_answer_sources():
    html = panel(_turns())
    assert 'data-turn="0"' in html and "<mark>releasing 39 prisoners</mark>" in html
    assert "Ask a question" in panel([])
