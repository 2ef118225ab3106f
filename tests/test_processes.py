"""Several processes, one local index (rag.sharing, rag.index): real subprocesses.

The test process plays the chat UI: it has answered (its embedded Chroma client is
open) when another process writes the index.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from rag.answer import answer
from rag.config import Settings
from rag.errors import IndexBusyError, IndexStoreError
from rag.index import open_index, writer
from rag.sharing import shared_store
from rag.sync import sync_corpus

BRIDGE = "The Alpha report says the bridge over the river was finished in 2019."
TUNNEL = "The Gamma survey says the mountain tunnel opened to traffic in 1994."
HARBOUR = "The Delta notes say the old harbour handles three million containers a year."


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(
        RAG_DATA_DIR=str(settings.data_dir),
        RAG_CORPUS_DIR=str(settings.corpus_dir),
        RAG_LLM_BACKEND="extractive",
        **extra,
    )
    return env


def _ingest(settings: Settings, **extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "ingest", "-q"],
        env=_env(settings, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@contextmanager
def _holder(settings: Settings, code: str) -> Iterator[subprocess.Popen[str]]:
    """A process that runs ``code`` holding the writer lock, until we close its stdin."""
    script = (
        "import sys\n"
        "from rag.config import Settings\n"
        "from rag.index import drop_index, writer\n"
        "s = Settings.from_env()\n"
        "with writer(s):\n"
        f"    {code}\n"
        "    print('holding', flush=True)\n"
        "    sys.stdin.read()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        env=_env(settings),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "holding", proc.stderr.read() if proc.stderr else ""
        yield proc
    finally:
        if proc.stdin:
            proc.stdin.close()
        proc.wait(timeout=60)


@pytest.mark.slow
def test_a_process_that_answered_answers_again_after_another_process_ingested(make_settings):
    """The bug of issue #15: "Error finding id ... rebuild it" after a terminal ingest."""
    settings = make_settings({"alpha.txt": BRIDGE})
    sync_corpus(settings)
    first = answer("When was the bridge over the river finished?", settings=settings)
    assert [c.source for c in first.citations] == ["alpha.txt"]

    for name, text in {"gamma.txt": TUNNEL, "delta.txt": HARBOUR}.items():
        (settings.corpus_dir / name).write_text(text, encoding="utf-8")
    for i in range(30):  # enough new vectors that a stale in-memory index is noticed
        (settings.corpus_dir / f"note{i:02}.txt").write_text(
            f"Note {i} records that warehouse number {i} stores grain and timber.", "utf-8"
        )
    done = subprocess.run(
        [sys.executable, "-m", "rag.cli", "ingest", "-q"],
        env=_env(settings),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "32 added" in done.stdout

    later = answer("When did the mountain tunnel open to traffic?", settings=settings)
    assert not later.abstained
    assert "gamma.txt" in [c.source for c in later.citations]
    assert open_index(settings).count() == 33


@pytest.mark.slow
def test_a_second_writer_waits_visibly_and_then_ingests(make_settings):
    settings = make_settings({"alpha.txt": BRIDGE})
    sync_corpus(settings)
    (settings.corpus_dir / "gamma.txt").write_text(TUNNEL, encoding="utf-8")
    index = open_index(settings)
    with writer(settings):
        proc = _ingest(settings, RAG_INDEX_LOCK_TIMEOUT="120")  # bounds a hang if it never says
        assert proc.stderr is not None
        line = proc.stderr.readline()  # what the user sees while it waits
        assert f"process {os.getpid()}" in line
        assert "is writing the index" in line and "waiting" in line
        assert set(index.files()) == {"alpha.txt"}  # it waits: nothing written yet
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert "1 added, 0 changed, 0 removed, 1 unchanged" in out
    assert set(index.files()) == {"alpha.txt", "gamma.txt"}


def test_a_writer_that_waits_too_long_names_the_other_process(make_settings):
    settings = make_settings({"alpha.txt": BRIDGE}, index_lock_timeout=0.5)
    with _holder(settings, "pass") as holder, pytest.raises(IndexBusyError) as info:
        sync_corpus(settings)
    message = str(info.value)
    assert f"process {holder.pid}" in message and "RAG_INDEX_LOCK_TIMEOUT" in message
    assert "rebuild" not in message


def test_threads_of_one_process_write_one_at_a_time(make_settings):
    settings = make_settings({"alpha.txt": BRIDGE, "gamma.txt": TUNNEL})
    errors: list[BaseException] = []

    def sync() -> None:
        try:
            sync_corpus(settings)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=sync) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    index = open_index(settings)
    ids = [p.chunk_id for p in index.all_passages()]
    assert len(ids) == len(set(ids)) == index.count() == 2


def test_a_reader_during_another_process_rebuild_is_told_to_wait_not_to_rebuild(make_settings):
    settings = make_settings({"alpha.txt": BRIDGE})
    sync_corpus(settings)
    index = open_index(settings)
    assert index.count() == 1
    # Another process drops the collections and, still writing, has not recreated them.
    with _holder(settings, "drop_index(s)"), pytest.raises(IndexBusyError) as busy:
        index.count()
    assert "is writing the index" in str(busy.value)
    assert "rebuild" not in str(busy.value)
    # It stopped there: nobody is writing, the collections are gone; what is there is
    # an empty index, and the next sync fills it.
    assert index.count() == 0
    report = sync_corpus(settings)
    assert report.added == ["alpha.txt"] and open_index(settings).count() == 1


def test_a_damaged_store_says_what_happened_and_what_to_do(make_settings):
    settings = make_settings({"alpha.txt": BRIDGE})
    sync_corpus(settings)
    index = open_index(settings)
    assert index.count() == 1
    store = Path(settings.data_dir, "chroma", "chroma.sqlite3")
    data = store.read_bytes()
    store.write_bytes(data[:100] + b"\xff" * (len(data) - 100))
    shared_store(settings.data_dir).bump()  # as another process's write would
    with pytest.raises(IndexStoreError) as info:
        index.count()
    message = str(info.value)
    assert "malformed" in message  # what happened
    assert f"move {store.parent} aside and run `rag ingest`" in message  # what to do
    assert "Error finding id" not in message


def test_writes_record_a_new_generation_for_other_processes(make_settings):
    settings = make_settings({"alpha.txt": BRIDGE})
    sync_corpus(settings)
    generation = Path(settings.data_dir, "index.generation")
    before = generation.read_text().strip()
    (settings.corpus_dir / "gamma.txt").write_text(TUNNEL, encoding="utf-8")
    sync_corpus(settings)
    assert int(generation.read_text()) > int(before)
    unchanged = generation.read_text()
    sync_corpus(settings)  # nothing to do: nothing written, no new generation
    assert generation.read_text() == unchanged


@pytest.mark.slow
def test_threads_keep_reading_while_the_client_is_reopened_under_them(make_settings):
    """The UI answers in threads; a write elsewhere makes one thread reopen the shared
    client while others are in the middle of a call on it."""
    settings = make_settings({"alpha.txt": BRIDGE, "gamma.txt": TUNNEL, "delta.txt": HARBOUR})
    sync_corpus(settings)
    index = open_index(settings)
    vector = index.embedder.embed(["When did the tunnel open?"])[0]
    store = shared_store(settings.data_dir)
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        try:
            while not stop.is_set():
                assert index.query(vector, k=3)[0].source == "gamma.txt"
                assert len(index.files()) == 3
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for _ in range(40):
        with writer(settings):
            store.bump()  # as another process's write would
        index.count()  # this thread reopens the client now
    stop.set()
    for t in threads:
        t.join()
    assert errors == []


def test_a_data_folder_that_cannot_be_written_is_one_clear_error(make_settings, tmp_path):
    (tmp_path / "a_file").write_text("not a folder", encoding="utf-8")
    settings = make_settings({"alpha.txt": BRIDGE}, data_dir=tmp_path / "a_file" / "data")
    with pytest.raises(IndexStoreError, match="RAG_DATA_DIR") as info:
        sync_corpus(settings)
    assert "index.lock" in str(info.value)


@pytest.mark.parametrize("created", [False, True])
def test_a_question_on_an_index_another_process_is_building_does_not_wait(make_settings, created):
    """Before its collections exist, or while they are still empty: a question says who
    is building the index instead of waiting for the whole ingest."""
    settings = make_settings({"alpha.txt": BRIDGE})
    if created:
        assert open_index(settings).count() == 0
    with _holder(settings, "pass") as holder, pytest.raises(IndexBusyError) as info:
        answer("When was the bridge finished?", settings=settings)
    assert f"process {holder.pid}" in str(info.value) and "ask again" in str(info.value)
    assert answer("When was the bridge finished?", settings=settings).citations  # then it does
