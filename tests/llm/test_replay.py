"""``rag.llm.replay.Replay``: an identical temperature-0 request is answered from the folder.

The unit tests wrap a scripted backend that counts its calls (it is not what is tested);
the end-to-end test runs ``answer()`` twice over a real index against a real
OpenAI-compatible HTTP server (tests/answer_peer.py) and counts the requests it receives.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.answer import answer
from rag.config import Settings
from rag.llm.base import Backend, Request, get_backend
from rag.llm.replay import Replay, request_key
from rag.sync import sync_corpus


class Counting(Backend):
    name = "counting"

    def __init__(self) -> None:
        self.calls = 0

    def stream(self, request: Request) -> Iterator[str]:
        self.calls += 1
        yield f"reply {self.calls} "
        yield "to " + request.question


def _request(question: str = "Where?", **kw: object) -> Request:
    messages = [{"role": "user", "content": question}]
    return Request(question, messages=messages, **kw)  # type: ignore[arg-type]


def test_the_same_request_is_replayed_and_a_different_one_is_not(tmp_path: Path) -> None:
    inner = Counting()
    cache = Replay(inner, tmp_path)
    first = cache.complete(_request())
    assert cache.complete(_request()) == first == "reply 1 to Where?"
    assert inner.calls == 1 and (cache.hits, cache.misses) == (1, 1)
    # Any part of the request that shapes the reply makes it another request.
    for other in (
        _request("When?"),
        _request(max_tokens=12),
        _request(schema={"type": "object"}),
        _request(stop=("\n",)),
    ):
        assert cache.complete(other).startswith("reply ")
    assert inner.calls == 5
    # A new process (a new Replay on the same folder) replays it too.
    again = Replay(Counting(), tmp_path)
    assert again.complete(_request()) == first and again.hits == 1


def test_the_model_is_part_of_the_key(tmp_path: Path) -> None:
    Replay(Counting(), tmp_path, model="a.gguf").complete(_request())
    other = Counting()
    assert Replay(other, tmp_path, model="b.gguf").complete(_request()) == "reply 1 to Where?"
    assert other.calls == 1
    key = request_key("counting", "a.gguf", _request())
    assert key != request_key("counting", "b.gguf", _request())
    assert key != request_key("other", "a.gguf", _request())


class Scaffolding(Counting):
    """Writes a request's scaffold (as the local model does): its replies round otherwise."""

    def writes_scaffold(self, request: Request) -> bool:
        return request.scaffold is not None


def test_a_reply_with_a_written_scaffold_is_another_request(tmp_path: Path) -> None:
    schema = {"type": "object"}
    with_scaffold = _request(schema=schema, scaffold=lambda reply: "")
    Replay(Counting(), tmp_path).complete(with_scaffold)  # ignores the scaffold
    writer = Scaffolding()
    assert Replay(writer, tmp_path).complete(with_scaffold) == "reply 1 to Where?"
    assert writer.calls == 1  # not the other backend's reply
    assert Replay(writer, tmp_path).complete(_request(schema=schema)).startswith("reply ")
    assert writer.calls == 1  # without a scaffold: the same key as the first backend's


def test_sampled_and_unfinished_replies_are_not_kept(tmp_path: Path) -> None:
    inner = Counting()
    cache = Replay(inner, tmp_path)
    cache.complete(_request(temperature=0.7))
    cache.complete(_request(temperature=0.7))
    assert inner.calls == 2 and not list(tmp_path.rglob("*.json"))
    stream = cache.stream(_request())
    next(stream)
    stream.close()  # the reader stopped after the first chunk
    assert not list(tmp_path.rglob("*.json"))
    assert cache.complete(_request()) == "reply 4 to Where?"


def test_a_damaged_entry_is_asked_again(tmp_path: Path) -> None:
    inner = Counting()
    cache = Replay(inner, tmp_path)
    cache.complete(_request())
    (entry,) = tmp_path.rglob("*.json")
    entry.write_text("{not json", encoding="utf-8")
    assert cache.complete(_request()) == "reply 2 to Where?"
    assert cache.complete(_request()) == "reply 2 to Where?" and inner.calls == 2


@pytest.mark.slow
def test_answer_twice_asks_the_server_once(tmp_path: Path, answer_peer) -> None:  # type: ignore[no-untyped-def]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ferry.txt").write_text(
        "The Lakeside ferry line opened in May 2019. It crosses the lake in forty minutes.",
        encoding="utf-8",
    )
    peer = answer_peer()
    settings = Settings(
        data_dir=tmp_path / "data",
        corpus_dir=corpus,
        llm_backend="openai",
        openai_base_url=peer.base_url,
    )
    sync_corpus(settings)
    cache = Replay(get_backend(settings), tmp_path / "cache")
    first = answer("When did the Lakeside ferry line open?", settings=settings, backend=cache)
    asked = len(peer.requests)
    assert asked >= 1 and cache.misses == asked and not first.abstained
    second = answer("When did the Lakeside ferry line open?", settings=settings, backend=cache)
    assert len(peer.requests) == asked and cache.hits == asked
    assert (second.text, second.citations, second.backend) == (
        first.text,
        first.citations,
        first.backend,
    )
