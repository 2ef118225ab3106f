"""Answer kinds (rag.grounding.kinds): what counts as stating a number or a date."""

from __future__ import annotations

import pytest

from rag.grounding.kinds import answers_kind


@pytest.mark.parametrize(
    ("text", "answers"),
    [
        ("Per la venticinquesima volta il porto ha chiuso [1].", True),  # one-word compound
        ("Hundreds of boats use the harbour [2].", True),  # a plural number word
        ("The harbour opened [1].", False),  # the marker is not a number
        ("Il porto ha chiuso [1].", False),
    ],
)
def test_an_answer_to_how_many_states_a_number(text, answers):
    assert answers_kind("How many times did the harbour close?", text, "en") is answers
