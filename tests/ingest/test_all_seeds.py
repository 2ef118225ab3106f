"""Every shipped seed file loads, and every paragraph has one of the corpus languages."""

from __future__ import annotations

from pathlib import Path

from rag.ingest import discover, load_document

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def test_every_seed_loads_with_known_languages() -> None:
    files = discover(SEEDS)
    assert len(files) == 5
    for path in files:
        doc = load_document(path, SEEDS)
        assert doc.paragraphs, doc.source
        assert {p.lang for p in doc.paragraphs} <= {"en", "fr", "it"}, doc.source
