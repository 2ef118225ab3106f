"""The relevance check (rag.grounding.relevance): what it reads and how a reply decides.

The unit tests use a scripted backend (they are about the evidence shown and the reading
of the reply); the last test asks the real local model, on passages made for it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rag.grounding.relevance import (
    build_relevance_messages,
    cited_evidence,
    relevance_check,
)
from rag.llm.base import Backend, Request
from rag.types import Passage

HARBOUR = Passage(
    "h1",
    "harbour.txt",
    "The harbour of Lorvik opened in 1999. It handles three million containers a year.",
    1.0,
    title="Port report",
    locator="¶2",
)


class Reply(Backend):
    name = "reply"

    def __init__(self, text: str) -> None:
        self.text = text
        self.requests: list[Request] = []

    def stream(self, request: Request) -> Iterator[str]:
        self.requests.append(request)
        yield self.text


def test_a_quote_is_read_after_the_sentence_before_it_and_under_its_label():
    out = cited_evidence([("It handles three million containers a year.", HARBOUR)])
    assert out == [
        "Port report ¶2: The harbour of Lorvik opened in 1999. It handles three million "
        "containers a year."
    ]


def test_a_quote_opening_its_passage_has_no_lead_and_repeats_are_read_once():
    quote = "The harbour of Lorvik opened in 1999."
    assert cited_evidence([(quote, HARBOUR), (quote, HARBOUR)]) == [f"Port report ¶2: {quote}"]


def test_the_question_comes_after_the_evidence():
    system, user = build_relevance_messages("When did it open?", ["A.", "B."])
    assert system["role"] == "system" and user["role"] == "user"
    content = user["content"]
    assert content.index("A.") < content.index("B.") < content.index("When did it open?")


@pytest.mark.parametrize(
    ("reply", "answers"),
    [
        ('{"answers": "no"}', False),
        ('{"answers": "yes"}', True),
        ("no", True),  # not the JSON asked for: only an explicit "no" takes an answer away
        ('{"answers": "maybe"}', True),
        ("", True),
    ],
)
def test_only_an_explicit_no_takes_the_answer_away(reply, answers):
    backend = Reply(reply)
    check = relevance_check("Q?", ["evidence"], backend)
    assert check.answers is answers and check.reply == reply.strip() and check.ms >= 0
    assert backend.requests[0].schema is not None and backend.requests[0].max_tokens <= 16


@pytest.mark.llm
def test_the_local_model_tells_an_answer_from_a_sentence_on_the_same_topic():
    from rag.config import Settings
    from rag.llm.base import get_backend

    backend = get_backend(Settings.from_env().replace(llm_backend="llamacpp"))
    evidence = cited_evidence([("It handles three million containers a year.", HARBOUR)])
    assert relevance_check(
        "How many containers does the harbour of Lorvik handle each year?", evidence, backend
    ).answers
    assert not relevance_check(
        "How many people work at the harbour of Lorvik?", evidence, backend
    ).answers
