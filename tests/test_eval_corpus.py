"""A dataset answered over its own corpus: found, indexed apart, recorded in the result.

A tiny second corpus is written for these tests (two short documents that share no word
with seeds/ but "the"), with real Chroma and the real embedding model.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rag.config import Settings
from rag.errors import ConfigError
from rag.eval.corpus import corpus_name, prepare_index, resolve_target, target_settings

DOCS = {
    "lighthouse.txt": "The Brightwater lighthouse was built in 1871 by the engineer Ada\n"
    "Morrow. Its lamp can be seen from 22 nautical miles away on a clear\nnight.\n",
    "ferry.md": "# The ferry\n\nThe Brightwater ferry crosses the bay four times a day, and\n"
    "twice on Sundays.\n",
}
ROWS = [
    {
        "id": "b1",
        "question": "When was the Brightwater lighthouse built?",
        "lang": "en",
        "answerable": True,
        "sources": ["lighthouse.txt"],
        "facts": [["1871"]],
        "reference": "In 1871.",
        "evidence": ["lighthouse was built in 1871"],
    },
    {
        "id": "b2",
        "question": "Who is the mayor of Brightwater?",
        "lang": "en",
        "answerable": False,
        "sources": [],
        "facts": [],
        "reference": "The documents don't say.",
        "evidence": [],
    },
]


@pytest.fixture
def bay(tmp_path: Path) -> Path:
    """eval/bay/test.jsonl with eval/bay/corpus/, as a second corpus is committed."""
    folder = tmp_path / "eval" / "bay"
    (folder / "corpus").mkdir(parents=True)
    for name, text in DOCS.items():
        (folder / "corpus" / name).write_text(text, encoding="utf-8")
    dataset = folder / "test.jsonl"
    dataset.write_text("\n".join(json.dumps(r) for r in ROWS) + "\n", encoding="utf-8")
    return dataset


def test_corpus_name_skips_a_folder_called_corpus(tmp_path):
    assert corpus_name(tmp_path / "eval" / "bay" / "corpus") == "bay"
    assert corpus_name(Path("seeds")) == "seeds"


def test_a_dataset_with_a_corpus_folder_is_answered_over_it(bay, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=Path("seeds"))
    target = resolve_target(bay, settings)
    assert target.corpus == bay.parent / "corpus" and not target.default_corpus
    assert (target.split, target.corpus_name, target.label) == ("test", "bay", "bay")
    scoped = target_settings(settings, target)
    assert scoped.data_dir == tmp_path / "data" / "corpora" / "bay"
    assert scoped.corpus_dir == target.corpus and scoped.collection == settings.collection
    other = bay.parent / "dev.jsonl"
    assert resolve_target(other, settings).label == "bay-dev"


def test_without_a_corpus_folder_the_configured_corpus_is_used(tmp_path, seeds_dir):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=seeds_dir)
    target = resolve_target(tmp_path / "test.jsonl", settings)
    assert target.default_corpus and target.corpus == seeds_dir and target.label == "test"
    assert target_settings(settings, target) is settings
    # --corpus wins over the dataset's folder; a missing one is a clear error
    forced = resolve_target(tmp_path / "dev.jsonl", settings, corpus=tmp_path)
    assert forced.corpus == tmp_path and forced.label == f"{tmp_path.name}-dev"
    with pytest.raises(ConfigError, match="--corpus"):
        resolve_target(tmp_path / "dev.jsonl", settings, corpus=tmp_path / "nope")


def test_on_a_chroma_server_another_corpus_gets_its_own_collection(bay):
    settings = Settings(chroma_url="http://127.0.0.1:8000", collection="rag_chunks")
    scoped = target_settings(settings, resolve_target(bay, settings))
    assert scoped.collection == "rag_chunks_bay"


def test_the_second_index_never_mixes_with_the_configured_one(bay, tmp_path, make_settings):
    from rag.index import open_index
    from rag.sync import sync_corpus

    settings = make_settings({"home.txt": "The harbour of Eastport has one crane and a pier."})
    sync_corpus(settings)
    scoped, report = prepare_index(settings, resolve_target(bay, settings))
    assert sorted(report.added) == ["ferry.md", "lighthouse.txt"] and not report.skipped
    assert set(open_index(scoped).files()) == {"ferry.md", "lighthouse.txt"}
    assert set(open_index(settings).files()) == {"home.txt"}
    again = prepare_index(settings, resolve_target(bay, settings))[1]  # synced, not rebuilt
    assert again.chunks_written == 0 and len(again.unchanged) == 2


@pytest.mark.slow
def test_rag_eval_records_where_it_was_measured(bay, tmp_path, seeds_dir):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_DATA_DIR=str(tmp_path / "data"), RAG_CORPUS_DIR=str(seeds_dir))
    out = tmp_path / "bay-extractive.json"
    args = ["eval", "-q", "--dataset", str(bay), "--backend", "extractive", "--json", str(out)]
    done = subprocess.run(
        [sys.executable, "-m", "rag.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    assert result["dataset"] == str(bay) and result["corpus"] == str(bay.parent / "corpus")
    assert (result["split"], result["corpus_name"], result["label"]) == ("test", "bay", "bay")
    assert result["backend"] == "extractive"
    passages = [p["source"] for q in result["questions"] for p in q["passages"]]
    assert passages and set(passages) <= set(DOCS), passages  # nothing from seeds/
    assert (tmp_path / "data" / "corpora" / "bay" / "chroma").is_dir()
    assert not (tmp_path / "data" / "chroma").exists()  # the seeds index was not touched
