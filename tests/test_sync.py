"""The write path on real files, a real Chroma store and the real embedding model."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rag.errors import IngestError
from rag.index import open_index
from rag.sync import sync_corpus

ALPHA = "The Alpha report says the bridge was finished in 2019.\n\nIt cost 40 million euros."
BETA = "Beta notes describe the harbour. The harbour handles 3 million containers a year."


def test_first_sync_indexes_every_file_and_second_sync_embeds_nothing(make_settings):
    settings = make_settings({"a.txt": ALPHA, "sub/b.md": BETA})
    first = sync_corpus(settings)
    assert sorted(first.added) == ["a.txt", "sub/b.md"]
    assert first.chunks_written == first.chunks_total > 0
    second = sync_corpus(settings)
    assert second.added == second.changed == second.removed == []
    assert sorted(second.unchanged) == ["a.txt", "sub/b.md"]
    assert second.chunks_written == 0
    assert second.chunks_total == first.chunks_total


def test_modified_file_is_replaced_and_deleted_file_removed(make_settings):
    settings = make_settings({"a.txt": ALPHA, "b.txt": BETA})
    sync_corpus(settings)
    (settings.corpus_dir / "a.txt").write_text(ALPHA.replace("2019", "2021"), encoding="utf-8")
    (settings.corpus_dir / "b.txt").unlink()
    report = sync_corpus(settings)
    assert report.changed == ["a.txt"] and report.removed == ["b.txt"]
    index = open_index(settings)
    texts = " ".join(p.text for p in index.all_passages())
    assert "2021" in texts and "2019" not in texts  # old chunks of a.txt are gone
    assert "harbour" not in texts  # b.txt's chunks are gone
    assert set(index.files()) == {"a.txt"}


def test_added_file_is_indexed_incrementally(make_settings):
    settings = make_settings({"a.txt": ALPHA})
    sync_corpus(settings)
    (settings.corpus_dir / "c.txt").write_text(BETA, encoding="utf-8")
    report = sync_corpus(settings)
    assert report.added == ["c.txt"] and report.unchanged == ["a.txt"]


def test_bad_files_are_skipped_with_a_reason_and_the_rest_ingests(make_settings):
    settings = make_settings(
        {
            "good.txt": ALPHA,
            "empty.txt": "",
            "binary.txt": b"\x00\x01\x02\xff\xfe" * 50,
            "broken.json": '{"title": "x", "body":',
        }
    )
    report = sync_corpus(settings)
    assert report.added == ["good.txt"]
    skipped = dict(report.skipped)
    assert set(skipped) == {"empty.txt", "binary.txt", "broken.json"}
    assert all(reason for reason in skipped.values())
    assert "skipped binary.txt" in report.summary()


def test_file_that_turns_bad_keeps_its_indexed_version(make_settings):
    settings = make_settings({"a.txt": ALPHA})
    sync_corpus(settings)
    (settings.corpus_dir / "a.txt").write_bytes(b"\x00" * 100)
    report = sync_corpus(settings)
    assert [name for name, _ in report.skipped] == ["a.txt"]
    assert "kept" in report.skipped[0][1]
    assert "bridge" in " ".join(p.text for p in open_index(settings).all_passages())


def test_missing_corpus_folder_is_one_clear_error(make_settings, tmp_path):
    settings = make_settings(corpus_dir=tmp_path / "nope")
    with pytest.raises(IngestError, match="nope"):
        sync_corpus(settings)


def test_index_persists_across_processes(make_settings):
    settings = make_settings({"a.txt": ALPHA})
    report = sync_corpus(settings)
    out = subprocess.run(
        [sys.executable, "-m", "rag.cli", "stats", "--json"],
        env={"RAG_DATA_DIR": str(settings.data_dir), "HF_HUB_OFFLINE": "1", "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    stats = json.loads(out.stdout)
    assert stats["documents"] == 1 and stats["chunks"] == report.chunks_total


def test_rebuild_re_embeds_everything(make_settings):
    settings = make_settings({"a.txt": ALPHA})
    first = sync_corpus(settings)
    again = sync_corpus(settings, rebuild=True)
    assert again.added == ["a.txt"] and again.chunks_total == first.chunks_total


def test_a_new_chunking_version_re_chunks_unchanged_files_once(make_settings, monkeypatch):
    import rag.sync

    settings = make_settings({"a.txt": ALPHA})
    first = sync_corpus(settings)
    monkeypatch.setattr(rag.sync, "CHUNKING_VERSION", rag.sync.CHUNKING_VERSION + "-next")
    again = sync_corpus(settings)
    assert again.changed == ["a.txt"] and again.chunks_total == first.chunks_total
    assert sync_corpus(settings).unchanged == ["a.txt"]
