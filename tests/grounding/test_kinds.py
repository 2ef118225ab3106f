"""Answer kinds (rag.grounding.kinds): what counts as stating a number or a date."""

from __future__ import annotations

import pytest

from rag.grounding.kinds import answers_kind, asked_kind


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


@pytest.mark.parametrize(
    ("question", "lang", "kind"),
    [
        # A clause that sets a condition does not say what is asked.
        ("When I build the tide tools, which options can I pass?", "en", None),
        ("When the harbour floods, why do the gates stay shut?", "en", None),
        ("Quand on compile le paquet, quelles options faut-il ?", "fr", None),
        ("Quando il porto chiude, quante navi restano fuori?", "it", "number"),
        # The asking clause is the question's own.
        ("When was the harbour opened, and by whom?", "en", "date"),
        ("In 2020, how many boats used the harbour?", "en", "number"),
        ("Quand le port a-t-il ouvert ?", "fr", "date"),
    ],
)
def test_the_kind_asked_is_read_in_the_clause_that_asks(question, lang, kind):
    assert asked_kind(question, lang) == kind
    # and only such a kind refuses an answer that states none
    assert answers_kind(question, "The gates stay shut [1].", lang) is (kind is None)
