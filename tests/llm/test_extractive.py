"""The extractive backend (rag.llm.extractive) on tiny passages made for each rule."""

from __future__ import annotations

import pytest

from rag.config import Settings
from rag.llm.base import Backend, Request, get_backend
from rag.llm.extractive import ExtractiveBackend, asked_kind, condense_heuristic, pick
from rag.text.languages import language
from rag.types import Passage, Turn

HARBOUR = Passage(
    "h",
    "harbour.txt",
    "The harbour of Lorvik is the largest on the coast. It opened in 1999 after ten years "
    "of works. The harbour master is Ada Brun.",
    0.9,
)
BRIDGE = Passage("b", "bridge.txt", "The Lorvik bridge was painted red. It is long.", 0.5)


@pytest.fixture(scope="module")
def backend(embedder) -> ExtractiveBackend:  # type: ignore[no-untyped-def]
    return ExtractiveBackend(embedder=embedder, settings=Settings())


def test_quotes_the_answering_sentence_with_the_marker_of_its_passage(embedder):
    backend = ExtractiveBackend(embedder=embedder, settings=Settings(extractive_min_score=0.0))
    text = backend.complete(Request("When did the harbour of Lorvik open?", [BRIDGE, HARBOUR]))
    assert text.startswith("It opened in 1999 after ten years of works [2].")


def test_a_question_asking_for_a_number_skips_sentences_without_one(embedder):
    got = pick(
        "How many years did the works of the harbour of Lorvik last?",
        "en",
        [HARBOUR],
        embedder,
        min_score=0.0,
    )
    assert got and "1999" in got[0][1]


@pytest.mark.parametrize(
    ("question", "lang", "kind"),
    [
        ("How many ships came?", "en", "number"),
        ("In which year did it open?", "en", "date"),
        ("Who is the harbour master?", "en", "person"),
        ("What did he say when it opened?", "en", None),  # "when" comes too late
        ("Combien de navires ?", "fr", "number"),
        ("Quando è stato aperto?", "it", "date"),
    ],
)
def test_the_kind_asked_comes_from_the_first_words_and_the_language_file(question, lang, kind):
    assert asked_kind(question, lang) == kind


def test_a_heading_or_a_lead_in_is_never_quoted(embedder):
    p = Passage("x", "x.txt", "Harbour of Lorvik opening\n\nThe harbour of Lorvik opened:", 1.0)
    assert pick("When did the harbour of Lorvik open?", "en", [p], embedder, min_score=0.0) == []


def test_nothing_close_enough_is_the_abstention_sentence_of_the_question(embedder):
    strict = ExtractiveBackend(embedder=embedder, settings=Settings(extractive_min_score=0.99))
    assert strict.complete(Request("Quand le port a-t-il ouvert ?", [HARBOUR])) == (
        language("fr").abstain
    )
    assert strict.complete(Request("Who?", [])) == language("en").abstain


def test_streaming_yields_sentences_that_join_to_the_answer(backend):
    request = Request("Who is the harbour master of Lorvik?", [HARBOUR, BRIDGE])
    assert "".join(backend.stream(request)) == backend.complete(request)


def test_registered_as_the_extractive_backend():
    got = get_backend(Settings(llm_backend="extractive"))
    assert isinstance(got, ExtractiveBackend) and isinstance(got, Backend)
    assert not got.uses_prompt


def test_follow_up_gets_the_words_of_the_previous_question():
    history = [Turn("user", "When did the harbour of Lorvik open?"), Turn("assistant", "1999.")]
    got = condense_heuristic("Who runs it?", history)
    assert got.startswith("Who runs it? ") and {"harbour", "Lorvik"} <= set(got.split())
    assert condense_heuristic("Who runs it?", []) == "Who runs it?"
    standalone = "Who paints the bridge of Lorvik red?"  # no pronoun, names enough
    assert condense_heuristic(standalone, history) == standalone
