"""Question checks (rag.questions): one clear QuestionError, and no real question refused."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rag.config import Settings
from rag.errors import QuestionError, RAGError
from rag.questions import check_question

ROOT = Path(__file__).resolve().parent.parent


def test_a_good_question_comes_back_stripped():
    assert (
        check_question("  Who signed the joint statement?\n") == "Who signed the joint statement?"
    )


def test_tabs_and_line_breaks_are_whitespace_not_control_characters():
    q = "Who signed\tthe joint statement,\nand when?"
    assert check_question(q) == q


@pytest.mark.parametrize("q", ["", "   ", "\n\t  "])
def test_empty_questions(q):
    with pytest.raises(QuestionError, match="empty"):
        check_question(q)


@pytest.mark.parametrize(
    ("q", "code"),
    [
        ("Who signed\x07 the statement?", "U+0007"),  # terminal bell
        ("Who signed \x1b[31mthe statement?", "U+001B"),  # an ANSI escape sequence
        ("Who\x00 signed the statement?", "U+0000"),
        ("Who signed \ud800 the statement?", "U+D800"),  # a lone surrogate
        ("Who signed \u202ethe statement?", "U+202E"),  # right-to-left override
        ("Who signed the\x7f statement?", "U+007F"),
    ],
)
def test_control_characters_are_refused_naming_the_character(q, code):
    with pytest.raises(QuestionError, match=re.escape(code)) as info:
        check_question(q)
    assert "plain text" in str(info.value)


def test_a_question_over_the_token_limit_names_the_limit_and_its_variable():
    settings = Settings(max_question_tokens=20)
    ok = "How many political prisoners does the Assembly want released?"
    assert check_question(ok, settings) == ok
    long = "How many political prisoners does the Assembly want released " + "and why " * 10
    with pytest.raises(QuestionError, match="RAG_MAX_QUESTION_TOKENS") as info:
        check_question(long + "?", settings)
    assert "limit is 20" in str(info.value)


def test_a_pasted_document_is_refused_before_it_is_tokenized():
    with pytest.raises(QuestionError, match="characters long"):
        check_question("word " * 40_000)


@pytest.mark.parametrize(
    "q",
    [
        "Кто подписал совместное заявление Казахстана и Совета Европы?",  # Russian
        "谁签署了哈萨克斯坦和欧洲委员会的联合声明？",  # Chinese
        "Wer hat die gemeinsame Erklärung von Kasachstan und dem Europarat unterzeichnet?",
        "¿Quién firmó la declaración conjunta de Kazajistán y el Consejo de Europa?",
    ],
)
def test_a_language_without_a_data_file_is_refused_naming_the_supported_ones(q):
    with pytest.raises(QuestionError, match="English, French, Italian"):
        check_question(q)


def test_not_a_string():
    with pytest.raises(QuestionError, match="must be text"):
        check_question(None)


def _dataset_questions() -> list[str]:
    questions = []
    for path in sorted([*ROOT.glob("eval/*.jsonl"), *ROOT.glob("eval/*/test.jsonl")]):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                questions.append(json.loads(line)["question"])
    return questions


def test_no_question_of_the_evaluation_sets_is_refused():
    """Every real question people wrote (en/fr/it, paraphrases, short ones) passes."""
    questions = _dataset_questions()
    assert len(questions) > 500
    refused = []
    for q in questions:
        try:
            check_question(q, Settings())
        except RAGError as exc:
            refused.append((q, str(exc)))
    assert refused == []


@pytest.mark.parametrize(
    "q",
    ["Who is Tokayev?", "2616?", "Qui a signé la déclaration commune ?", "Chi governa il paese?"],
)
def test_short_and_named_questions_pass(q):
    assert check_question(q) == q
