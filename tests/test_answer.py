"""answer() end to end with the extractive backend over the real seed index."""

from __future__ import annotations

import pytest

from rag import Answer, QuestionError, Turn, answer, stream_answer
from rag.answer import to_turns
from rag.index import open_index

PRISONERS = "How many political prisoners does the Assembly want released?"


def test_answers_39_citing_the_resolution_paragraph(seed_settings):
    a = answer(PRISONERS, settings=seed_settings)
    assert not a.abstained
    assert "39" in a.text
    assert a.citations, a
    first = a.citations[0]
    assert first.source == "003_8055ac30947230f7.txt"
    assert "§5" in first.locator
    assert "39" in first.quote
    assert f"[{first.n}]" in a.text
    assert a.passages[first.n - 1].chunk_id == first.chunk_id
    assert {"retrieve", "generate", "verify", "total"} <= set(a.timings)
    assert a.backend == "extractive"


@pytest.mark.parametrize(
    ("question", "fact", "source"),
    [
        ("Who signed the joint statement?", "Ashimbayev", "000_1968d16abf61fcd6.txt"),
        ("In which year did Kazakhstan abolish the death penalty?", "2022", None),
        (
            "Who is the Minister of Justice of Kazakhstan?",
            "Sarsembayev",
            "004_9ecce584a641fa78.txt",
        ),
        (
            "Which opposition party was refused registration for the twenty-fifth time?",
            "Alga",
            "003_8055ac30947230f7.txt",
        ),
    ],
)
def test_seed_questions_are_answered_with_a_verified_citation(
    seed_settings, question, fact, source
):
    a = answer(question, settings=seed_settings)
    assert not a.abstained, a.text
    assert fact in a.text
    cited = {c.source for c in a.citations}
    assert cited, a.text
    if source:
        assert source in cited
    for c in a.citations:  # every citation points at a passage that contains its quote
        assert c.quote and c.quote in a.passages[c.n - 1].text


@pytest.mark.parametrize(
    "question",
    ["Who won the 2022 FIFA World Cup?", "What is the boiling point of mercury in kelvin?"],
)
def test_abstains_when_the_documents_do_not_say(seed_settings, question):
    a = answer(question, settings=seed_settings)
    assert a.abstained
    assert a.citations == []
    assert "don't say" in a.text


@pytest.mark.parametrize("question", ["", "   ", "\n"])
def test_empty_question_is_a_clear_error(seed_settings, question):
    with pytest.raises(QuestionError, match="empty"):
        answer(question, settings=seed_settings)


def test_stream_yields_text_then_the_answer(seed_settings):
    items = list(stream_answer(PRISONERS, settings=seed_settings))
    assert isinstance(items[-1], Answer)
    deltas = items[:-1]
    assert deltas and all(isinstance(d, str) for d in deltas)
    assert "39" in "".join(deltas)


def test_history_accepts_turns_dicts_and_gradio_parts():
    turns = to_turns(
        [
            Turn("user", "a"),
            {"role": "assistant", "content": "b"},
            {"role": "user", "content": [{"type": "text", "text": "c"}]},
            {"role": "system", "content": "ignored"},
        ]
    )
    assert [(t.role, t.content) for t in turns] == [
        ("user", "a"),
        ("assistant", "b"),
        ("user", "c"),
    ]


def test_first_answer_indexes_an_empty_index(make_settings):
    settings = make_settings({"a.txt": "The lighthouse of Pharos was 100 metres tall."})
    a = answer("How tall was the lighthouse of Pharos?", settings=settings)
    assert open_index(settings).count() > 0
    assert "100" in a.text and a.citations[0].source == "a.txt"
