"""Parallel translations come from the document's own paragraph numbering: the English
§5 of Resolution 2616 has a French and an Italian §5 (the real seed file)."""

from __future__ import annotations

import shutil
from pathlib import Path

from rag.ingest import load_document
from rag.types import Answer, Passage
from ui.render import sources_html
from ui.translations import parallel, translations

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
RESOLUTION = "003_8055ac30947230f7.txt"


def _passage(doc, lang: str, label: str, source: str = RESOLUTION) -> Passage:
    para = next(p for p in doc.paragraphs if p.lang == lang and p.label == label)
    return Passage("c", source, para.text, 0.5, lang=lang, start=para.start, end=para.end)


def test_a_numbered_paragraph_has_its_other_languages():
    doc = load_document(SEEDS / RESOLUTION, SEEDS)
    found = parallel(_passage(doc, "en", "5"), doc)
    assert set(found) == {"fr", "it"}
    assert found["fr"].startswith("5. L'Assemblée") and "39" in found["fr"]
    assert found["it"].startswith("5. L'Assemblea")
    assert set(parallel(_passage(doc, "fr", "9.2.1"), doc)) == {"en", "it"}


def test_documents_in_one_language_have_none(tmp_path):
    shutil.copy(SEEDS / "000_1968d16abf61fcd6.txt", tmp_path / "a.txt")
    doc = load_document(tmp_path / "a.txt", tmp_path)
    p = Passage("c", "a.txt", doc.paragraphs[1].text, 0.5, start=0, end=len(doc.text))
    assert parallel(p, doc) == {}


def test_translations_by_passage_position_and_never_outside_the_corpus(tmp_path):
    shutil.copy(SEEDS / RESOLUTION, tmp_path / RESOLUTION)
    doc = load_document(tmp_path / RESOLUTION, tmp_path)
    outside = Passage("x", "../secret.txt", "t", 0.1, start=0, end=10)
    (tmp_path.parent / "secret.txt").write_text("5. secret\n")
    a = Answer("q", "t [2].", False, passages=[outside, _passage(doc, "it", "7")])
    found = translations(a, tmp_path)
    assert set(found) == {"2"} and set(found["2"]) == {"en", "fr"}
    html = sources_html(a, 0, translations=found)
    assert '<details class="translations"><summary>Also in EN, FR</summary>' in html
    assert html.count('class="translation"') == 2
