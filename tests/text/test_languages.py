"""Per-language data files (rag.text.languages) and the question language detector."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from rag.text.lang import question_lang
from rag.text.languages import language, supported, words_of_all

FIELDS = {
    "name",
    "abstain",
    "months",
    "asks",
    "negations",
    "limiters",
    "pronouns",
    "numbers",
    "replies",
    "questions",
    "stopwords",
    "stemmer",
}


def test_every_language_file_has_every_field():
    assert supported() == ("en", "fr", "it")
    for code in supported():
        raw = resources.files("rag.text.languages").joinpath(f"{code}.json").read_text("utf-8")
        assert set(json.loads(raw)) == FIELDS, code
        assert set(language(code).asks) == {"number", "date", "person"}


def test_a_language_without_a_file_falls_back_to_the_default():
    assert language("es").code == "en" and language("es").abstain == "The documents don't say."


def test_stop_words_and_stemmers_come_from_the_language_files():
    """A language's function words are not what a text is about; its stemmer folds the
    rest. Both are named by the language's file."""
    from rag.text import content_terms, stem, stopwords

    assert content_terms("The bridges of the harbour are closed", "en") == {
        "bridg",
        "harbour",
        "close",
    }
    assert content_terms("Qui a nommé son prédécesseur ?", "fr") == {"nomm", "predecesseur"}
    assert content_terms("Chi ha nominato il suo predecessore?", "it") == {"nomin", "predecessor"}
    assert stem("ponts", "fr") == "pont" and stem("bridges", "en") == "bridg"
    assert stopwords("es") == stopwords("en")  # no file: the default language's


def test_a_stemmer_name_pystemmer_lacks_is_one_clear_error(monkeypatch):
    import dataclasses

    import rag.text.languages
    from rag.text import stemmer

    wrong = dataclasses.replace(language("fr"), code="xx", stemmer="frenchy")
    monkeypatch.setattr(rag.text.languages, "language", lambda code: wrong)
    stemmer.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"xx\.json names the stemmer 'frenchy'.*french"):
            stemmer("xx")
    finally:
        stemmer.cache_clear()


def test_word_lists_of_every_language_are_joined():
    assert {"not", "non", "jamais", "mai"} <= words_of_all("negations")


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("Who signed the joint statement?", "en"),
        ("Qui a signé la déclaration commune ?", "fr"),
        ("Chi ha firmato la dichiarazione congiunta?", "it"),
        ("Who?", "en"),  # too short to tell: the default
    ],
)
def test_question_language_is_one_of_the_supported(question, lang):
    assert question_lang(question) == lang
