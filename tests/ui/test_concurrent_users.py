"""Four people using the chat at once (#15 item 6): the app (``build_app``) served in this
process, four gradio_client sessions pressing Send at the same moment (tests/gradio_app.py).
"""

from __future__ import annotations

import threading

import pytest
from answer_peer import AnswerPeer
from gradio_app import chat_turn, client, served

QUESTIONS = [
    ("Whom did Ashimbayev meet on the sidelines of the PACE autumn session?",
     "000_1968d16abf61fcd6.txt", "Roussopoulos"),
    ("What status was Kazakhstan granted at the Council of Europe Convention 108 Committee?",
     "001_3f8e50993e9fc8cc.txt", "observer"),
    ("Which upcoming anniversary of the Commonwealth of Independent States did the Kazakh "
     "Senate Speaker mention?", "002_1492760e8c00b5f2.txt", "35th"),
    ("When and at which sitting was Resolution 2616 adopted by the Assembly?",
     "003_8055ac30947230f7.txt", "30 September 2025"),
]  # fmt: skip


def four_at_once(url: str, backend: str) -> list:  # type: ignore[type-arg]
    """Each session asks its question, all released together; their turns in order."""
    sessions = [client(url) for _ in QUESTIONS]
    start = threading.Barrier(len(QUESTIONS))
    turns: list = [None] * len(QUESTIONS)

    def ask(i: int) -> None:
        start.wait()
        turns[i] = chat_turn(sessions[i], QUESTIONS[i][0], backend=backend)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(QUESTIONS))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)  # a deadlock guard, not a speed check
    assert not any(t.is_alive() for t in threads)
    return turns


def check(turns: list, *, facts: bool = True) -> None:  # type: ignore[type-arg]
    """Each session holds only its own turn, answered with citations (and, from the
    extractive backend, the expected source and fact)."""
    for (question, source, fact), turn in zip(QUESTIONS, turns, strict=True):
        [stored] = turn.store["turns"]
        assert stored["question"] == question and stored["error"] is None, stored
        a = stored["answer"]
        assert a["question"] == question and a["citations"], a
        if facts:
            assert {c["source"] for c in a["citations"]} == {source}, (question, a["citations"])
            assert fact in a["text"], a["text"]


@pytest.mark.slow
def test_four_sessions_asking_at_once_each_get_their_own_cited_answer(seed_settings):
    with served(seed_settings) as url:  # extractive
        check(four_at_once(url, "extractive"))


@pytest.mark.slow
def test_four_sessions_are_answered_at_the_same_time(seed_settings):
    # The server answers no claim request until all four are in flight together: the app
    # running one answer at a time (Gradio's default) fails here.
    peer = AnswerPeer(barrier=4, barrier_timeout=120).start()
    try:
        settings = seed_settings.replace(
            llm_backend="openai", openai_base_url=peer.base_url, request_timeout=300.0
        )
        with served(settings) as url:
            turns = four_at_once(url, "openai")
        check(turns, facts=False)  # the peer quotes source 1: it is no model
        assert peer.in_flight_max >= 4
    finally:
        peer.stop()
