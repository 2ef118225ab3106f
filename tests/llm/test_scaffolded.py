"""A structured reply's fixed parts written instead of generated (rag.llm.scaffolded), with
the real local model: the same reply, in fewer steps of the model."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from rag.config import Settings
from rag.errors import BackendError
from rag.grounding import claims
from rag.grounding.relevance import RELEVANCE_SCHEMA, _scaffold, build_relevance_messages
from rag.llm.base import Request
from rag.llm.llamacpp import LlamaCppBackend
from rag.prompt import build_claims_messages
from rag.types import Passage

pytestmark = pytest.mark.llm


def _passage(chunk_id: str, text: str, title: str, score: float) -> Passage:
    return Passage(chunk_id, f"{chunk_id}.txt", text, score, title=title, locator="§1")


PASSAGES = [
    _passage("ferry", "The ferry to Lorvik leaves the harbour at 7:15 every weekday.",
             "Ferry timetable", 1.0),
    _passage("cafe", "The harbour café opens at noon and closes at 22:00.", "Harbour café", 0.5),
]  # fmt: skip
QUESTION = "When does the ferry to Lorvik leave?"


@pytest.fixture(scope="module")
def backend():
    return LlamaCppBackend.from_settings(Settings(llm_backend="llamacpp"))


def claims_request() -> Request:
    return Request(
        question=QUESTION,
        passages=PASSAGES,
        messages=build_claims_messages(QUESTION, PASSAGES, lang="en"),
        max_tokens=96,
        schema=claims.schema(len(PASSAGES)),
        scaffold=claims.scaffold(len(PASSAGES)),
    )


def verdict_request(quote: str) -> Request:
    return Request(
        question=QUESTION,
        messages=build_relevance_messages(QUESTION, [quote]),
        max_tokens=12,
        schema=RELEVANCE_SCHEMA,
        scaffold=_scaffold,
    )


def reply_and_steps(backend, request: Request, *, scaffold: bool) -> tuple[str, int]:
    """The reply, and how many times the model evaluated tokens (one per generated token
    without the scaffold; the prompt counts as one)."""
    llm = backend.load()
    calls = 0
    real_eval = llm.eval

    def counting_eval(tokens):
        nonlocal calls
        calls += 1
        return real_eval(tokens)

    backend.scaffold = scaffold
    llm.eval = counting_eval
    try:
        before = llm.starts["evaluated"]
        reply = "".join(backend.stream(request))
        calls -= llm.starts["evaluated"] - before  # a system part evaluated alone
    finally:
        del llm.eval
        backend.scaffold = True
    return reply, calls


def test_a_claims_reply_is_the_same_in_fewer_steps(backend):
    plain, plain_steps = reply_and_steps(backend, claims_request(), scaffold=False)
    written, steps = reply_and_steps(backend, claims_request(), scaffold=True)
    assert written == plain
    parsed = claims.parse(written)
    assert parsed and parsed[0].source == 1 and "7:15" in parsed[0].text
    # '{"claims":', 'source": ' and ', "text": "' are 11 tokens of every one-claim reply.
    assert steps <= plain_steps - 10, (steps, plain_steps)


@pytest.mark.parametrize("quote", [PASSAGES[0].text, PASSAGES[1].text])
def test_a_verdict_is_the_same_in_one_step(backend, quote):
    plain, _ = reply_and_steps(backend, verdict_request(quote), scaffold=False)
    written, steps = reply_and_steps(backend, verdict_request(quote), scaffold=True)
    assert json.loads(written) == json.loads(plain)
    assert json.loads(written)["answers"] in ("yes", "no")
    assert steps == 1  # the prompt with '{"answers": "' then "yes" or "no": nothing else


def test_a_reply_cut_by_the_token_limit_keeps_its_complete_claims(backend):
    request = claims_request()
    short = replace(request, max_tokens=16)
    reply = "".join(backend.stream(short))
    assert reply.startswith('{"claims":')
    assert claims.parse(reply) is not None


def test_a_prompt_over_the_context_says_what_to_do(backend):
    request = claims_request()
    too_long = replace(request, max_tokens=backend.load().n_ctx())
    with pytest.raises(BackendError, match="RAG_CONTEXT_TOKENS"):
        "".join(backend.stream(too_long))
