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
