"""Crash safety: ``kill -9`` a real ``rag ingest`` at several points, then ingest again.

The child process is the real ``rag ingest``; to die at a precise point it wraps one
method (embedding, a chunk upsert, a chunk delete, a manifest write) so that the process
sends itself SIGKILL before, during (from a thread, while the call runs) or after the
n-th call. Nothing is faked: the kill is real and so is the store it interrupts. After
the crash, a normal ingest must give the index a clean ingest of the same folder gives:
the same chunk ids (so the same count and no duplicates), a manifest naming exactly the
stored chunks, and the same answers.

The embedding model here is the packaged USE multilingual one (numpy only): a child
starts in ~2 s instead of ~6 s with torch, and what is under test is the write path.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.answer import answer
from rag.config import Settings
from rag.index import open_index
from rag.lexical import lexical_index
from rag.sync import sync_corpus

CHILD = r"""
import os, signal, sys, threading, time
from rag import cli
from rag.config import Settings
from rag.embeddings import get_embedder
from rag.index.chunks import ChunkIndex

target, when, nth = sys.argv[1], sys.argv[2], int(sys.argv[3])
owner = type(get_embedder(Settings.from_env())) if target == "embed" else ChunkIndex
real = getattr(owner, target)
calls = [0]

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def hooked(self, *args, **kwargs):
    calls[0] += 1
    hit = calls[0] == nth
    if hit and when == "before":
        die()
    if hit and when == "during":
        threading.Thread(target=lambda: (time.sleep(0.004), die()), daemon=True).start()
    out = real(self, *args, **kwargs)
    if hit and when == "during":
        time.sleep(5)  # the call returned first: the kill still lands before anything else
    if hit and when == "after":
        die()
    return out

setattr(owner, target, hooked)
sys.exit(cli.main(["ingest", "-q"]))
"""

QUESTIONS = ["When was bridge number 7 built?", "What does the harbour report say about cranes?"]


def _corpus(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    bridges = "\n\n".join(
        f"Paragraph {i} of the Alpha report says that bridge number {i} was built in "
        f"{1900 + i} over the river, and that it carries {i * 3} trains a day."
        for i in range(1, 41)
    )
    (root / "alpha.txt").write_text(bridges, encoding="utf-8")
    (root / "harbour.md").write_text(
        "# Harbour report\n\nThe harbour has twelve cranes, the oldest from 1961.\n\n"
        "Container traffic doubled between 2010 and 2020.",
        encoding="utf-8",
    )
    (root / "tunnel.txt").write_text(
        "The Gamma survey says the mountain tunnel opened in 1994.", encoding="utf-8"
    )
    (root / "notes.txt").write_text(
        "Delta notes: the warehouse stores grain.\n\nThe depot stores timber.", encoding="utf-8"
    )


MODEL = "use-multilingual-v3"


def _settings(base: Path) -> Settings:
    return Settings(
        data_dir=base / "data",
        corpus_dir=base / "corpus",
        llm_backend="extractive",
        embedding_model=MODEL,
    )


# The kill points below count calls file by file (the 2nd file's chunks, the 3rd manifest
# entry): the children ingest one file per batch; one case keeps the default batches.
BATCH = {"RAG_INGEST_BATCH_CHUNKS": "1"}


def _env(settings: Settings, batch: dict[str, str] = BATCH) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(
        RAG_DATA_DIR=str(settings.data_dir),
        RAG_CORPUS_DIR=str(settings.corpus_dir),
        RAG_EMBEDDING_MODEL=MODEL,
        **batch,
    )
    return env


_clean: dict[str, Settings] = {}


def _clean_index(corpus: Path, tmp_path: Path) -> Settings:
    """A clean ingest of a copy of ``corpus``, one per distinct content."""
    digest = hashlib.sha256()
    for path in sorted(corpus.iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    key = digest.hexdigest()
    if key not in _clean:
        clean = _settings(tmp_path / "clean")
        shutil.copytree(corpus, clean.corpus_dir)
        sync_corpus(clean)
        _clean[key] = clean
    return _clean[key]


def _run_killed(
    settings: Settings, target: str, when: str, nth: int, batch: dict[str, str] = BATCH
) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, target, when, str(nth)],
        env=_env(settings, batch),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == -signal.SIGKILL, f"not killed: {proc.returncode} {proc.stderr}"


def _assert_same_as_clean(settings: Settings, tmp_path: Path) -> None:
    clean = _clean_index(settings.corpus_dir, tmp_path)
    index, reference = open_index(settings), open_index(clean)

    ids = [p.chunk_id for p in index.all_passages()]
    assert len(ids) == len(set(ids)) == index.count()  # no duplicates
    assert sorted(ids) == sorted(p.chunk_id for p in reference.all_passages())
    manifest = index.files()
    assert {cid for r in manifest.values() for cid in r.chunk_ids} == set(ids)
    on_disk = sorted(p.name for p in settings.corpus_dir.iterdir())
    assert sorted(manifest) == on_disk
    for source, record in manifest.items():
        data = (settings.corpus_dir / source).read_bytes()
        assert record.sha256 == hashlib.sha256(data).hexdigest()
    for q in QUESTIONS:
        got, want = answer(q, settings=settings), answer(q, settings=clean)
        assert (got.text, got.citations) == (want.text, want.citations)
    # BM25 agrees with the collection: its stored terms name exactly the stored chunks,
    # and it ranks like the clean index's.
    assert index.terms().ids() == set(ids)
    bm25, clean_bm25 = lexical_index(index), lexical_index(reference)
    for q in [*QUESTIONS, "grain timber", "trains a day 1921"]:
        assert bm25.search(q, 10) == clean_bm25.search(q, 10)
        assert bm25.sentences.search(q, 10) == clean_bm25.sentences.search(q, 10)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("target", "when", "nth"),
    [
        ("embed", "during", 1),  # while embedding, before anything is stored
        ("upsert", "during", 1),  # inside Chroma, writing the first file's chunks
        ("upsert", "after", 2),  # a file's chunks stored, its manifest entry not
        ("put_file", "during", 3),  # inside Chroma, writing a manifest entry
    ],
)
def test_first_ingest_killed_then_ingested_again_equals_a_clean_ingest(tmp_path, target, when, nth):
    settings = _settings(tmp_path)
    _corpus(settings.corpus_dir)
    _run_killed(settings, target, when, nth)
    report = sync_corpus(settings)
    assert report.skipped == []
    _assert_same_as_clean(settings, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("when", ["during", "after"])
def test_ingest_in_default_batches_killed_in_its_first_write(tmp_path, when):
    """Default batches: every file's chunks in one upsert, killed inside it (in Chroma's
    write or in the BM25 terms' after it) or just after it (no manifest entry yet)."""
    settings = _settings(tmp_path)
    _corpus(settings.corpus_dir)
    _run_killed(settings, "upsert", when, 1, batch={})
    sync_corpus(settings)
    _assert_same_as_clean(settings, tmp_path)


@pytest.mark.slow
def test_update_killed_between_new_chunks_and_old_ones_deleted(tmp_path):
    """A changed file's new chunks are stored, its old ones not yet deleted."""
    settings = _settings(tmp_path)
    _corpus(settings.corpus_dir)
    sync_corpus(settings)
    alpha = settings.corpus_dir / "alpha.txt"
    alpha.write_text(alpha.read_text("utf-8").replace("built in", "finished in"), "utf-8")
    _run_killed(settings, "delete", "before", 1)
    texts = " ".join(p.text for p in open_index(settings).all_passages())
    assert "built in" in texts and "finished in" in texts  # both versions, as killed
    sync_corpus(settings)
    _assert_same_as_clean(settings, tmp_path)
    assert "built in" not in " ".join(p.text for p in open_index(settings).all_passages())


@pytest.mark.slow
def test_chunks_of_a_file_removed_after_a_crash_do_not_linger(tmp_path):
    """A new file's chunks are stored without its manifest entry, then the file is
    deleted before the next ingest: no entry names those chunks, and they go."""
    settings = _settings(tmp_path)
    _corpus(settings.corpus_dir)
    sync_corpus(settings)
    (settings.corpus_dir / "aa_new.txt").write_text("A new file about ferries.", "utf-8")
    _run_killed(settings, "put_file", "before", 1)
    assert "ferries" in " ".join(p.text for p in open_index(settings).all_passages())
    (settings.corpus_dir / "aa_new.txt").unlink()
    sync_corpus(settings)
    _assert_same_as_clean(settings, tmp_path)


@pytest.mark.slow
def test_ingest_killed_from_outside_while_it_writes(tmp_path):
    """kill -9 from another process, as a user would, once the ingest has started writing."""
    settings = _settings(tmp_path)
    _corpus(settings.corpus_dir)
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "ingest", "-q"],
        env=_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    generation = settings.data_dir / "index.generation"
    # Generation 1 is the collections' creation; 2 onwards are chunk and manifest writes.
    while proc.poll() is None:
        text = generation.read_text() if generation.exists() else ""
        if text.strip().isdigit() and int(text) >= 2:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.001)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the ingest finished before it was killed"
    assert len(open_index(settings).files()) < 4  # it was killed part-way
    sync_corpus(settings)
    _assert_same_as_clean(settings, tmp_path)
