"""The example questions the UI offers are answered, with citations, by the default
extractive backend over seeds/, in each of the three languages."""

from __future__ import annotations

import pytest

from rag.answer import answer
from rag.text.lang import question_lang as detect_lang
from ui.app import EXAMPLES


def test_examples_cover_english_french_and_italian():
    assert {detect_lang(q) for q in EXAMPLES} == {"en", "fr", "it"}


@pytest.mark.parametrize("question", EXAMPLES)
def test_each_example_is_answered_with_a_citation(question, seed_settings):
    a = answer(question, settings=seed_settings)
    assert not a.abstained, a.text
    assert a.citations
