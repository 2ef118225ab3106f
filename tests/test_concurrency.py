"""Concurrent answers in one process (#15 item 6): threads on one real index, and the
queue the local model's generations wait in (its waits shown in the trace and the UI).

The real local model's turn in that queue is tested in tests/llm/test_llamacpp_queue.py;
here the queue is driven by plain threads and by a small backend that takes turns in it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from answer_peer import reply_for

from rag.answer import answer, stream_answer
from rag.errors import BackendError
from rag.llm.base import Backend, Request
from rag.llm.queue import ModelQueue, Waits
from rag.types import Answer
from ui.answering import ModelWait, live_answer

JOIN = 300  # seconds: a deadlock guard, never a speed check

#: Eight seed questions the extractive backend answers from the source named, with a fact.
QUESTIONS = [
    ("When and where was the joint statement between Kazakhstan and PACE issued?",
     "000_1968d16abf61fcd6.txt", "Sept. 30"),
    ("Whom did Ashimbayev meet on the sidelines of the PACE autumn session?",
     "000_1968d16abf61fcd6.txt", "Roussopoulos"),
    ("On what date was the constitutional referendum that PACE commended held in Kazakhstan?",
     "001_3f8e50993e9fc8cc.txt", "15 March 2026"),
    ("What status was Kazakhstan granted at the Council of Europe Convention 108 Committee?",
     "001_3f8e50993e9fc8cc.txt", "observer"),
    ("Which anniversary of the modern Parliament of Kazakhstan will be marked at the "
     "beginning of next year?", "002_1492760e8c00b5f2.txt", "30th"),
    ("Which upcoming anniversary of the Commonwealth of Independent States did the Kazakh "
     "Senate Speaker mention?", "002_1492760e8c00b5f2.txt", "35th"),
    ("What quota of parliamentary mandates benefits women, youth and persons with "
     "disabilities?", "004_9ecce584a641fa78.txt", "30%"),
    ("When and at which sitting was Resolution 2616 adopted by the Assembly?",
     "003_8055ac30947230f7.txt", "30 September 2025"),
]  # fmt: skip


def run_together(fns: list) -> list:  # type: ignore[type-arg]
    """Call every function in its own thread, all released at the same moment; the
    results in order (an exception is returned in its place)."""
    start = threading.Barrier(len(fns))
    results: list = [None] * len(fns)

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = fns[i]()
        except BaseException as exc:  # reported by the test, with the others
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(fns))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN)
    assert not any(t.is_alive() for t in threads), "a thread never finished"
    return results


def key(a: Answer) -> tuple:  # type: ignore[type-arg]
    return (
        a.text,
        [(c.n, c.chunk_id, c.quote) for c in a.citations],
        [p.chunk_id for p in a.passages],
    )


# -- eight answers at once on one index ------------------------------------------------


@pytest.mark.slow
def test_eight_threads_answer_at_once_each_with_its_own_citations(seed_settings):
    alone = [answer(q, settings=seed_settings) for q, _, _ in QUESTIONS]
    together = run_together(
        [lambda q=q: answer(q, settings=seed_settings) for q, _, _ in QUESTIONS]
    )
    errors = [r for r in together if isinstance(r, BaseException)]
    assert not errors, errors
    for (question, source, fact), a, ref in zip(QUESTIONS, together, alone, strict=True):
        assert a.question == question
        assert not a.abstained and a.citations, question
        assert {c.source for c in a.citations} == {source}, (question, a.citations)
        assert fact.lower() in a.text.lower(), (question, a.text)
        assert key(a) == key(ref)  # what it would have answered alone, nothing mixed in


def test_eight_first_questions_on_an_empty_index_build_it_once(make_settings):
    docs = {
        f"doc{i}.txt": f"Report {i}\n\nThe lighthouse number {i} stands {10 + i} metres "
        f"tall on the island of Vell{i}a. Its keeper is named Ost{i}rander."
        for i in range(4)
    }
    settings = make_settings(docs)
    questions = [f"How tall is the lighthouse on the island of Vell{i % 4}a?" for i in range(8)]
    together = run_together([lambda q=q: answer(q, settings=settings) for q in questions])
    errors = [r for r in together if isinstance(r, BaseException)]
    assert not errors, errors
    for i, a in enumerate(together):
        assert [c.source for c in a.citations] == [f"doc{i % 4}.txt"], a
        assert f"{10 + i % 4} metres" in a.text
    from rag.index import open_index

    store = open_index(settings)
    assert store.count() == 4  # one short chunk per file: indexed once, no duplicates


# -- the model queue -------------------------------------------------------------------


def test_turns_are_served_first_come_first_served_and_the_waits_are_told():
    q = ModelQueue()
    order: list[int] = []
    told: dict[int, list[bool]] = {i: [] for i in range(3)}
    waits = {i: Waits(on_wait=lambda w, i=i: told[i].append(w)) for i in range(3)}
    entered = {i: threading.Event() for i in range(3)}

    def take(i: int) -> None:
        entered[i].set()
        with q.turn(waits[i]):
            order.append(i)

    with q.turn():  # the model is busy
        threads = []
        for i in range(3):
            threads.append(threading.Thread(target=take, args=(i,)))
            threads[-1].start()
            entered[i].wait(JOIN)
            while q.waiting < i + 1:  # wait until thread i holds its place in line
                threading.Event().wait(0.01)
        assert q.busy and q.waiting == 3 and order == []
    for t in threads:
        t.join(JOIN)
    assert order == [0, 1, 2]
    assert told == {0: [True, False], 1: [True, False], 2: [True, False]}
    assert all(len(w.take()) == 1 and w.total_ms > 0 for w in waits.values())
    assert not q.busy and q.waiting == 0
    with q.turn(waits[0]):  # free: no wait recorded
        pass
    assert waits[0].take() == []


def test_a_place_given_up_while_waiting_lets_the_next_one_through():
    q = ModelQueue()
    gave_up = Waits()
    outcome: list[object] = []

    def wait_then_cancelled() -> None:
        try:
            with q.turn(gave_up):
                outcome.append("got the model")
        except BackendError as exc:
            outcome.append(str(exc))

    with q.turn():
        t = threading.Thread(target=wait_then_cancelled)
        t.start()
        while q.waiting < 1:
            threading.Event().wait(0.01)
        gave_up.cancel()
        t.join(JOIN)
        assert outcome == ["The answer was stopped while it waited for the model."]
    with q.turn():  # the abandoned place is skipped: nobody is stuck behind it
        assert q.waiting == 0


# -- an answer that waits its turn -------------------------------------------------------


class Quoting(Backend):
    """Takes its turns in its own queue and answers like a compliant model, quoting source
    1 (tests/answer_peer.py): the unit here is the waiting, not the writing."""

    name = "quoting"
    queued = True
    queue = ModelQueue()

    def stream(self, request: Request) -> Iterator[str]:
        with self.queue.turn(self.waits):
            yield reply_for({"messages": list(request.messages)})


@pytest.fixture
def busy_model() -> Iterator[threading.Event]:
    """The quoting backend's model, held by "another answer" until the event is set."""
    release, holding = threading.Event(), threading.Event()

    def hold() -> None:
        with Quoting.queue.turn():
            holding.set()
            release.wait(JOIN)

    t = threading.Thread(target=hold)
    t.start()
    holding.wait(JOIN)
    yield release
    release.set()
    t.join(JOIN)


def test_an_answer_that_waited_for_the_model_says_so_in_its_trace(seed_settings, busy_model):
    question, source, _ = QUESTIONS[0]
    told: list[bool] = []
    result: list[Answer] = []
    t = threading.Thread(
        target=lambda: result.append(
            answer(question, settings=seed_settings, backend=Quoting(), on_wait=told.append)
        )
    )
    t.start()
    while Quoting.queue.waiting < 1:
        threading.Event().wait(0.01)
    assert told == [True] and not result  # waiting, and told so
    busy_model.set()
    t.join(JOIN)
    a = result[0]
    assert told == [True, False]
    waited = [s for s in a.trace if s["step"] == "wait"]
    assert len(waited) == 1 and waited[0]["stage"] == "generate" and waited[0]["ms"] > 0
    assert waited[0]["reason"] == "another answer was being written"
    assert a.timings["wait"] == waited[0]["ms"] <= a.timings["generate"]
    assert [c.source for c in a.citations] == [source] and a.backend == "quoting"
    alone = answer(question, settings=seed_settings, backend=Quoting())
    assert "wait" not in alone.timings and not [s for s in alone.trace if s["step"] == "wait"]


def test_the_chat_stream_shows_the_wait_before_the_answer(seed_settings, busy_model):
    items = live_answer(QUESTIONS[0][0], settings=seed_settings, backend=Quoting())
    assert next(items) == ModelWait(True)  # while the other answer holds the model
    busy_model.set()
    rest = list(items)
    assert rest[0] == ModelWait(False)
    assert isinstance(rest[-1], Answer) and rest[-1].citations
    assert all(isinstance(x, str) for x in rest[1:-1]) and "".join(rest[1:-1])


def test_stopping_a_waiting_chat_answer_gives_up_its_place(seed_settings, busy_model):
    items = live_answer(QUESTIONS[0][0], settings=seed_settings, backend=Quoting())
    assert next(items) == ModelWait(True)
    items.close()  # the user pressed Stop
    while Quoting.queue.waiting:  # its place is given up without the model ever free
        threading.Event().wait(0.05)
    busy_model.set()
    a = answer(QUESTIONS[1][0], settings=seed_settings, backend=Quoting())
    assert a.citations  # the next answer is not stuck behind the stopped one


def test_an_error_in_the_chat_answer_is_raised_in_the_chat(seed_settings):
    class Broken(Backend):
        name = "broken"

        def stream(self, request: Request) -> Iterator[str]:
            yield '{"claims": [{"source": 1, "text": "Half'
            raise BackendError("The server went away: ask again.")

    got: list[object] = []
    with pytest.raises(BackendError, match="ask again"):
        for item in live_answer(QUESTIONS[0][0], settings=seed_settings, backend=Broken()):
            got.append(item)
    assert not any(isinstance(x, Answer) for x in got)


def test_stream_answer_tells_nothing_when_nobody_waits(seed_settings):
    told: list[bool] = []
    items = list(stream_answer(QUESTIONS[0][0], settings=seed_settings, on_wait=told.append))
    assert isinstance(items[-1], Answer) and told == []
