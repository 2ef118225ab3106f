"""Names garbled by the question's machine translation are repaired against the corpus
vocabulary (rag.lexical.repair_names), with a real BM25 index as the vocabulary."""

from __future__ import annotations

import pytest

from rag.lexical import LexicalIndex, repair_names, terms

DOCS = [
    ("en", "The Assembly asks Kazakhstan to release 39 political prisoners."),
    ("it", "L'Assemblea chiede al Kazakistan di rilasciare 39 prigionieri politici."),
    ("en", "Lithuania ratified the convention in September."),
]


@pytest.fixture(scope="module")
def vocab() -> LexicalIndex:
    return LexicalIndex([f"c{i}" for i in range(len(DOCS))], [terms(t, lang) for lang, t in DOCS])


@pytest.mark.parametrize(
    ("original", "translated", "expected"),
    [
        # measured: the 1.5B model's "Pakistan" for "Kazakistan" -> the English spelling
        (
            "Quanti prigionieri chiede l'Assemblea al Kazakistan?",
            "How many prisoners does the Assembly ask of Pakistan?",
            "How many prisoners does the Assembly ask of Kazakhstan?",
        ),
        (
            "Quanti prigionieri chiede l'Assemblea al Kazakistan?",
            "How many prisoners does the Assembly ask of the Kazakstan?",
            "How many prisoners does the Assembly ask of the Kazakhstan?",
        ),
        # a right translation the corpus uses stays, and so do unrelated new words
        (
            "Quando la Lituania ha ratificato la convenzione?",
            "When did Lithuania ratify the convention?",
            "When did Lithuania ratify the convention?",
        ),
        (
            "Qui a signé la déclaration à Strasbourg ?",
            "Who signed the statement in Strasbourg on Monday?",
            "Who signed the statement in Strasbourg on Monday?",
        ),
    ],
)
def test_repair_names(vocab, original, translated, expected):
    assert repair_names(original, translated, vocab) == expected


def test_translating_an_answer_keeps_the_answers_own_corpus_names(vocab):
    # measured: "Kazakhstan" in the English answer came back as "La Kazakchanie" in
    # French; without keep_known it was "repaired" to the nearest other corpus word.
    english = "The Assembly asks Kazakhstan to release 39 political prisoners [1]."
    french = "L'Assemblée demande à la Kazakchanie de libérer 39 prisonniers politiques [1]."
    fixed = repair_names(english, french, vocab, keep_known=True)
    assert "à la Kazakhstan de" in fixed


def test_translated_titles_are_not_put_back_in_english(vocab):
    # measured: "Ministro della Giustizia" came back as "Minister della Justice".
    english = "Yerlan Sarsembayev is the Minister of Justice [1]."
    italian = "Yerlan Sarsembayev è il Ministro della Giustizia [1]."
    assert repair_names(english, italian, vocab, keep_known=True) == italian
