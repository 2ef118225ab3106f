"""Hostile files in a corpus folder: each is skipped with its reason, the rest ingests.

A real sync (real Chroma, the real embedding model) over one folder holding every kind
of file a user or an attacker may leave there.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import pytest

from rag.index import open_index
from rag.sync import sync_corpus

GOOD = "The Alpha report says the bridge was finished in 2019. It cost 40 million euros."
SECRET = "The launch code is SWORDFISH and the vault is under the old mill."
LATIN1 = "Déclaration commune : l’Assemblée salue la coopération avec le Kazakhstan."


def _bomb_pdf(path: Path, inflated: int) -> None:
    """A tiny PDF whose one content stream inflates to ``inflated`` bytes (a zip bomb)."""
    packer = zlib.compressobj(1)
    stream = b"".join(packer.compress(b"\0" * 10_000_000) for _ in range(inflated // 10_000_000))
    stream += packer.flush()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    path.write_bytes(bytes(out))


@pytest.fixture
def hostile(make_settings, tmp_path):  # type: ignore[no-untyped-def]
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET, encoding="utf-8")
    settings = make_settings(
        {
            "good.txt": GOOD,
            "a..b.txt": "The harbour handles three million containers a year, the port says.",
            "latin1.txt": LATIN1.encode("cp1252"),
            "binary.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00" * 20,
            "undecodable.txt": b"D\xe9claration \x81\x8d\x8f\x90 commune",
            "broken.json": '{"title": "x", "body_md": "unterminated',
            "deep.json": "[" * 200_000 + "]" * 200_000,
            "empty.md": "",
            "big.txt": GOOD * 15_000,  # 1.2 MB, over the 1 MB limit below
            "new\nline.txt": GOOD,
            "..hidden.txt": SECRET,
        },
        max_file_bytes=1_000_000,
    )
    corpus = settings.corpus_dir
    _bomb_pdf(corpus / "bomb.pdf", 100_000_000)
    os.symlink(outside / "secret.txt", corpus / "link_out.txt")
    os.symlink(outside, corpus / "linked_dir")
    return settings


@pytest.mark.slow
def test_every_hostile_file_is_skipped_with_its_reason_and_the_rest_ingests(hostile):
    report = sync_corpus(hostile)
    assert sorted(report.added) == ["a..b.txt", "good.txt", "latin1.txt"]
    skipped = dict(report.skipped)
    expected = {
        "binary.txt": "binary",
        "undecodable.txt": "UTF-8",
        "broken.json": "malformed JSON",
        "deep.json": "nested too deeply",
        "empty.md": "empty",
        "big.txt": "1.2 MB is over the 1.0 MB limit (RAG_MAX_FILE_BYTES)",
        "new\nline.txt": "control character",
        "bomb.pdf": "PDF",
        "link_out.txt": "outside the corpus folder; not followed",
    }
    assert set(skipped) == set(expected)
    for name, needle in expected.items():
        assert needle in skipped[name], (name, skipped[name])

    summary = report.summary()
    # One line per skipped file: a file name cannot forge lines in the summary.
    assert len(summary.splitlines()) == 1 + len(expected)
    assert "skipped new\\nline.txt: its name contains" in summary

    passages = open_index(hostile).all_passages()
    text = " ".join(p.text for p in passages)
    assert "SWORDFISH" not in text  # neither the linked file, the linked folder, nor hidden
    assert "Déclaration commune" in text  # Windows-1252, read as such
    assert {p.source for p in passages} == {"a..b.txt", "good.txt", "latin1.txt"}


def test_a_file_replaced_by_a_link_outside_leaves_the_index(make_settings, tmp_path):
    settings = make_settings({"notes.txt": GOOD})
    sync_corpus(settings)
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    (settings.corpus_dir / "notes.txt").unlink()
    os.symlink(secret, settings.corpus_dir / "notes.txt")
    report = sync_corpus(settings)
    assert [name for name, _ in report.skipped] == ["notes.txt"]
    assert "kept" not in report.skipped[0][1]
    index = open_index(settings)
    assert index.files() == {} and index.count() == 0


def test_an_oversized_update_keeps_the_indexed_version(make_settings):
    settings = make_settings({"notes.txt": GOOD}, max_file_bytes=200)
    sync_corpus(settings)
    (settings.corpus_dir / "notes.txt").write_text(GOOD * 10, encoding="utf-8")
    report = sync_corpus(settings)
    assert "RAG_MAX_FILE_BYTES" in report.skipped[0][1] and "kept" in report.skipped[0][1]
    assert "bridge" in " ".join(p.text for p in open_index(settings).all_passages())
