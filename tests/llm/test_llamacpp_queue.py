"""The real local model serves one generation at a time (#15 item 6): a second answer
waits its turn, says so while it waits (the chat's bubble), and records the wait in its
trace and timings.

"Another answer" is a real generation this test starts and holds mid-stream (the model
stays busy until it reads the rest), so the second one waits for certain. Short replies
keep it cheap on 2 cores.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Iterator

import pytest
from gradio_app import chat_turn, client, served

from rag.answer import answer
from rag.llm.base import Request
from rag.llm.llamacpp import MODEL_QUEUE, LlamaCppBackend
from rag.types import Answer
from ui.answering import WAITING

pytestmark = pytest.mark.llm

QUESTION = "When and at which sitting was Resolution 2616 adopted by the Assembly?"
GUARD = 600  # seconds: a deadlock guard, never a speed check


@pytest.fixture(scope="module")
def settings(seed_settings):  # type: ignore[no-untyped-def]
    return seed_settings.replace(
        llm_backend="llamacpp", max_answer_tokens=32, relevance_check=False
    )


@pytest.fixture
def another_answer(settings) -> Iterator[Iterator[str]]:  # type: ignore[no-untyped-def]
    """A real generation holding the model: its first token is read, the rest waits."""
    backend = LlamaCppBackend.from_settings(settings)
    msgs = [{"role": "user", "content": "Count from one to twenty in words."}]
    reply = backend.stream(Request(question="count", messages=msgs, max_tokens=12))
    assert next(reply)  # generating, suspended mid-reply: the model is held
    assert MODEL_QUEUE.busy
    yield reply
    reply.close()


def until(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + GUARD
    while not condition():
        assert time.monotonic() < deadline, f"never {what}"
        time.sleep(0.05)


def test_a_second_answer_waits_for_the_model_and_says_so(settings, another_answer):
    told: list[bool] = []
    result: list[object] = []

    def second() -> None:
        try:
            result.append(answer(QUESTION, settings=settings, on_wait=told.append))
        except BaseException as exc:  # reported below
            result.append(exc)

    t = threading.Thread(target=second)
    t.start()
    until(lambda: told or result, "waited or finished")
    assert told == [True] and not result, result  # waiting, not answering alongside
    assert MODEL_QUEUE.waiting == 1
    rest = "".join(another_answer)  # the first answer goes on to its end
    assert rest
    t.join(GUARD)
    [a] = result
    assert isinstance(a, Answer), a
    assert told == [True, False] and a.backend == "llamacpp"
    [waited] = [s for s in a.trace if s["step"] == "wait"]
    assert waited["stage"] == "generate" and waited["ms"] > 0
    assert a.timings["wait"] == waited["ms"]
    assert not MODEL_QUEUE.busy


def test_the_chat_shows_the_wait_then_the_answer(settings, another_answer):
    with served(settings) as url:
        session = client(url)
        done: list[object] = []
        t = threading.Thread(
            target=lambda: done.append(chat_turn(session, QUESTION, backend="llamacpp"))
        )
        t.start()
        until(lambda: MODEL_QUEUE.waiting == 1 or done, "queued")
        assert not done
        "".join(another_answer)
        t.join(GUARD)
    [turn] = done
    bubbles = [html.unescape(str(u[0][-1]["content"])) for u in turn.updates]
    waiting = [b for b in bubbles if WAITING in b and "answer streaming waiting" in b]
    assert waiting, bubbles  # the bubble said why nothing moved
    assert bubbles.index(waiting[0]) < len(bubbles) - 1  # before the answer came
    [stored] = turn.store["turns"]
    assert stored["error"] is None and stored["answer"]["backend"] == "llamacpp"
    assert WAITING not in html.unescape(str(turn.chat[-1]["content"]))  # gone once answered
    assert [s["step"] for s in stored["answer"]["trace"]].count("wait") == 1
    assert stored["answer"]["timings"]["wait"] > 0
