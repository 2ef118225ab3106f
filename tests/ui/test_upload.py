"""Uploads: sanitized names, type and size limits, no silent overwrite, indexed at once
(real Chroma and the real embedding model in tmp_path), removal of uploads only."""

from __future__ import annotations

from pathlib import Path

import pytest

import ui.upload as upload
from rag.answer import answer
from ui.upload import add_files, documents, index_facts, remove_document, safe_name

SEED = "The Assembly met in Strasbourg in October 2025 to discuss fisheries."
DOC = "The Glorp Accord sets the tuna quota at 812 tonnes for the year 2026."


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("report.txt", "report.txt"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\Windows\\evil.MD", "evil.md"),
        (".hidden.html", "hidden.html"),
        ("Rapport final (v2).PDF", "Rapport_final_v2.pdf"),
        ("résumé été.txt", "résumé_été.txt"),
        ("<script>.json", "script.json"),
        ("...", "document"),
        ("a" * 300 + ".txt", "a" * 90 + ".txt"),
    ],
)
def test_safe_name_keeps_only_a_plain_file_name(given, safe):
    assert safe_name(given) == safe
    assert "/" not in safe_name(given) and not safe_name(given).startswith(".")


def _file(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / "incoming" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_an_upload_is_indexed_and_answerable_at_once(make_settings, tmp_path):
    settings = make_settings({"seed.txt": SEED})
    src = _file(tmp_path, "glorp.txt", DOC)
    report = add_files([(src, "../glorp.txt")], settings)
    assert report.added == ["uploads/glorp.txt"] and not report.refused
    assert "You can ask about them now" in report.message()
    a = answer("What tuna quota does the Glorp Accord set?", settings=settings)
    assert "812" in a.text
    assert a.citations[0].source == "uploads/glorp.txt"
    rows = {row[1]: row for row in documents(settings)}
    assert set(rows) == {"seed.txt", "uploads/glorp.txt"}
    assert rows["uploads/glorp.txt"][2] == "en" and rows["uploads/glorp.txt"][3] >= 1
    assert index_facts(settings)["documents"] == 2


def test_same_name_different_content_is_not_overwritten(make_settings, tmp_path):
    settings = make_settings({"seed.txt": SEED})
    first = add_files([(_file(tmp_path, "a.txt", DOC), "note.txt")], settings)
    again = add_files([(_file(tmp_path, "b.txt", DOC), "note.txt")], settings)
    other = add_files([(_file(tmp_path, "c.txt", SEED + " Second."), "note.txt")], settings)
    assert first.added == ["uploads/note.txt"]
    assert again.refused == [("note.txt", "already in the documents")]
    assert other.added == ["uploads/note-2.txt"]
    folder = Path(settings.corpus_dir) / "uploads"
    assert (folder / "note.txt").read_text(encoding="utf-8") == DOC


def test_type_size_and_empty_files_are_refused_with_a_reason(make_settings, tmp_path, monkeypatch):
    settings = make_settings({"seed.txt": SEED})
    monkeypatch.setattr(upload, "MAX_BYTES", 100)
    report = add_files(
        [
            (_file(tmp_path, "x.exe", b"MZ"), "tool.exe"),
            (_file(tmp_path, "big.txt", "word " * 100), "big.txt"),
            (_file(tmp_path, "empty.txt", ""), "empty.txt"),
        ],
        settings,
    )
    reasons = dict(report.refused)
    assert reasons["tool.exe"].startswith("unsupported file type .exe; use .htm, .html")
    assert reasons["big.txt"] == "the file is 0.0 MB; the limit is 0 MB"
    assert reasons["empty.txt"] == "the file is empty"
    assert not report.added
    assert not (Path(settings.corpus_dir) / "uploads").exists()


def test_a_file_the_loader_cannot_read_is_reported_and_not_left_behind(make_settings, tmp_path):
    settings = make_settings({"seed.txt": SEED})
    report = add_files([(_file(tmp_path, "bad.json", "{not json"), "bad.json")], settings)
    assert not report.added
    assert report.refused[0][0] == "bad.json"
    assert not (Path(settings.corpus_dir) / "uploads" / "bad.json").exists()


def test_too_many_files_at_once_are_refused(make_settings, tmp_path, monkeypatch):
    settings = make_settings({"seed.txt": SEED})
    monkeypatch.setattr(upload, "MAX_FILES", 1)
    src = _file(tmp_path, "a.txt", DOC)
    report = add_files([(src, "a.txt"), (src, "b.txt")], settings)
    assert report.refused == [("2 files", "upload at most 1 at a time")]


def test_remove_deletes_an_upload_but_never_a_corpus_file(make_settings, tmp_path):
    settings = make_settings({"seed.txt": SEED})
    add_files([(_file(tmp_path, "g.txt", DOC), "glorp.txt")], settings)
    assert "only uploaded documents" in remove_document("seed.txt", settings).lower()
    assert "only uploaded documents" in remove_document("uploads/../seed.txt", settings).lower()
    assert (Path(settings.corpus_dir) / "seed.txt").exists()
    assert remove_document("uploads/glorp.txt", settings) == "Removed uploads/glorp.txt."
    assert [row[1] for row in documents(settings)] == ["seed.txt"]
    assert remove_document("", settings) == "Choose a document to remove."
