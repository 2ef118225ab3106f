"""The OpenAI-compatible server failing in the middle of an answer (#15 item 7), through
``answer()`` and ``stream_answer()`` on the real seed index, against a real HTTP server
(tests/answer_peer.py). The chat handler's side is tests/ui/test_chat_failures.py.

Each failure is one ``BackendError`` whose message says what to do; the half-written
text that streamed before it is never returned as an answer, and nothing is written.
"""

from __future__ import annotations

import pytest

from rag.answer import answer, stream_answer
from rag.errors import BackendError, RAGError
from rag.types import Answer

QUESTION = "When and at which sitting was Resolution 2616 adopted by the Assembly?"

#: mode -> (what the message must say, whether some answer text streamed first)
FAILURES = {
    "die": ("broke while streaming", True),
    "cut": ("stopped in the middle of its reply", True),
    "stall": ("did not answer within 2 s", True),
    "500": ("failed (HTTP 500 after 3 tries", False),
    "hang": ("did not answer within 2 s", False),
}
FIXES = ("ask again", "check the server", "RAG_REQUEST_TIMEOUT", "switch RAG_LLM_BACKEND")


@pytest.fixture
def settings(seed_settings, answer_peer):  # type: ignore[no-untyped-def]
    peer = answer_peer()
    s = seed_settings.replace(
        llm_backend="openai", openai_base_url=peer.base_url, request_timeout=2.0
    )
    return s, peer


def test_the_peer_answers_when_it_is_well(settings):
    s, _ = settings
    a = answer(QUESTION, settings=s)
    assert a.backend == "openai" and a.citations and "30 September 2025" in a.text


@pytest.mark.slow
@pytest.mark.parametrize("mode", FAILURES)
def test_a_failure_mid_answer_is_one_clear_error_and_no_answer(settings, mode):
    s, peer = settings
    data_before = sorted(p.name for p in s.data_dir.rglob("*"))
    peer.mode = mode
    streamed: list[str] = []
    with pytest.raises(BackendError) as err:
        for item in stream_answer(QUESTION, settings=s):
            assert not isinstance(item, Answer), "a failed answer must not come out whole"
            streamed.append(item)
    says, partial = FAILURES[mode]
    message = str(err.value)
    assert says in message, message
    assert any(fix in message for fix in FIXES), message  # says what to do
    assert "\n" not in message and "Traceback" not in message
    assert bool("".join(streamed)) == partial  # mode "die"/"cut"/"stall": half an answer came
    with pytest.raises(RAGError) as again:
        answer(QUESTION, settings=s)  # answer() raises the same, returns nothing
    assert str(again.value).split(":")[0] == message.split(":")[0]
    assert sorted(p.name for p in s.data_dir.rglob("*")) == data_before  # nothing written
    peer.mode = "answer"
    assert answer(QUESTION, settings=s).citations  # and the next question is fine
