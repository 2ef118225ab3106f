"""The persisted, incrementally updated BM25 index (rag.index.terms, rag.index.bm25).

Real parts: Chroma in a temp folder, the packaged embedding model, real subprocesses and,
for server mode, a real ``chroma run``. The reference for every incremental state is a
from-scratch index of the same files in another folder: same search results, same scores.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from rag.config import Settings
from rag.index import drop_index, open_index
from rag.index import segment_set as ss
from rag.index.chunks import ChunkIndex
from rag.index.connection import connection
from rag.lexical import LexicalIndex, lexical_index
from rag.sync import sync_corpus

FILES = {
    "harbour.txt": "The harbour authority bought twelve cranes in 1961. Container traffic "
    "doubled between 2010 and 2020, and the quay was extended by 300 metres.",
    "bridge.md": "# Bridge\n\nThe Alpha bridge over the river was finished in 2019 after "
    "four years of work. It carries 40 trains a day.",
    "rapport.txt": "Le conseil régional a approuvé le budget du port en 2021. Les grues du "
    "port ont été remplacées par des modèles électriques.",
    "relazione.txt": "Il consiglio comunale ha approvato il bilancio del porto nel 2022. "
    "Le gru del porto sono state sostituite da modelli elettrici.",
}
QUERIES = [
    "When were the cranes bought?",
    "bridge trains a day",
    "budget du port",
    "bilancio del porto",
    "quokka island ferry",
    "electric cranes 2022",
]


def _results(index: LexicalIndex) -> list[object]:
    assert index.sentences is not None
    return [(index.search(q, 10), index.sentences.search(q, 10)) for q in QUERIES]


def _scratch(tmp_path: Path, corpus: Path) -> LexicalIndex:
    """BM25 of a clean index of a copy of ``corpus``, built in a fresh folder."""
    folder = tmp_path / f"scratch-{len(list(tmp_path.glob('scratch-*')))}"
    shutil.copytree(corpus, folder / "corpus")
    settings = Settings(data_dir=folder / "data", corpus_dir=folder / "corpus")
    sync_corpus(settings)
    return lexical_index(open_index(settings))


def _saved(settings: Settings) -> dict[str, int]:
    """Every file of the saved BM25 segments and manifest, with its modification time."""
    folders = list((Path(settings.data_dir) / "lexical").glob("*.bm25"))
    assert len(folders) == 1
    return {
        str(p.relative_to(folders[0])): p.stat().st_mtime_ns
        for p in folders[0].rglob("*")
        if p.is_file() and p.name != "lock"
    }


def test_incremental_updates_equal_a_build_from_scratch(make_settings, tmp_path):
    settings = make_settings(FILES)
    sync_corpus(settings)
    index = open_index(settings)
    assert _results(lexical_index(index)) == _results(_scratch(tmp_path, settings.corpus_dir))

    corpus = settings.corpus_dir
    (corpus / "island.txt").write_text(
        "A quokka lives on the island; the ferry runs twice a day.", encoding="utf-8"
    )
    (corpus / "bridge.md").unlink()
    (corpus / "harbour.txt").write_text(
        FILES["harbour.txt"].replace("twelve cranes", "fourteen electric cranes"),
        encoding="utf-8",
    )
    before = _rowids(index.terms().path)
    report = sync_corpus(settings)
    assert (report.added, report.removed, report.changed) == (
        ["island.txt"],
        ["bridge.md"],
        ["harbour.txt"],
    )
    incremental = lexical_index(index)
    assert index.terms().ids() == index.ids()
    assert _results(incremental) == _results(_scratch(tmp_path, corpus))
    assert incremental.search("quokka", 3)[0][0].startswith("island")
    # The unchanged files' rows were not written again (a rewritten row gets a new rowid).
    after = _rowids(index.terms().path)
    kept = {cid: rowid for cid, rowid in before.items() if cid.startswith(("rapport", "relazione"))}
    assert kept and all(after[cid] == rowid for cid, rowid in kept.items())
    assert not any(cid.startswith("bridge") for cid in after)


def _rowids(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT id, rowid FROM chunks"))


def test_an_unchanged_sync_tokenizes_and_builds_nothing(make_settings):
    settings = make_settings(FILES)
    sync_corpus(settings)
    index = open_index(settings)
    version, saved = index.terms().version(), _saved(settings)
    assert "manifest.json" in saved and any(name.startswith("seg-") for name in saved)
    built = lexical_index(index)
    assert sync_corpus(settings).chunks_written == 0
    assert index.terms().version() == version and _saved(settings) == saved
    assert lexical_index(index) is built  # the same object: nothing rebuilt or reloaded


def test_an_index_without_stored_terms_gets_them_on_first_search(make_settings):
    """An index built before terms were stored (or whose term folder was deleted)."""
    settings = make_settings(FILES)
    sync_corpus(settings)
    shutil.rmtree(Path(settings.data_dir) / "lexical")
    out = _search_elsewhere(settings, "cranes 1961")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith("[('harbour")
    assert open_index(settings).terms().ids() == open_index(settings).ids()


def test_a_rebuild_starts_a_new_term_store(make_settings):
    settings = make_settings(FILES)
    sync_corpus(settings)
    old = open_index(settings).terms().path
    drop_index(settings)
    assert not old.exists()
    sync_corpus(settings)
    index = open_index(settings)
    assert index.terms().path != old and index.terms().ids() == index.ids()


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_DATA_DIR=str(settings.data_dir), RAG_CORPUS_DIR=str(settings.corpus_dir))
    env.update(extra)
    return env


def _search_elsewhere(settings: Settings, query: str) -> subprocess.CompletedProcess[str]:
    """BM25's hits for ``query`` in a fresh process (nothing loaded or cached), printed."""
    code = (
        "from rag.config import Settings\n"
        "from rag.index import open_index\n"
        "from rag.lexical import lexical_index\n"
        f"print(lexical_index(open_index(Settings.from_env())).search({query!r}, 3))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=_env(settings), capture_output=True, text=True
    )


def _age_terms(path: Path) -> None:
    """Make a term store's rows and signature what another stop list might have left."""
    with sqlite3.connect(path) as db:
        db.execute("UPDATE chunks SET terms = 'old', sentences = 'old'")
        db.execute("UPDATE meta SET value = 'an-older-list' WHERE key = 'terms_signature'")


def test_a_new_index_records_its_terms_signature_and_tokenizes_once(make_settings, caplog):
    from rag.index.bm25 import SIGNATURE_KEY
    from rag.lexical import terms_signature

    settings = make_settings(FILES)
    with caplog.at_level("WARNING", logger="rag.index.bm25"):
        sync_corpus(settings)
        lexical_index(open_index(settings)).search("cranes", 3)
    assert open_index(settings).terms().meta(SIGNATURE_KEY) == terms_signature()
    assert "tokenizing its" not in caplog.text


def test_a_sync_that_tokenizes_again_shows_its_progress(make_settings, capsys):
    """Made again under new stop words, a large index's terms take minutes: `rag ingest`
    (progress on) shows a bar while they are made, and the terms come out right."""
    settings = make_settings(FILES)
    sync_corpus(settings)
    _age_terms(open_index(settings).terms().path)
    capsys.readouterr()
    sync_corpus(settings, progress=True)
    assert "BM25 terms" in capsys.readouterr().err
    index = open_index(settings)
    assert not any(r[1] == "old" for r in index.terms().rows()[1])
    assert lexical_index(index).search("cranes 1961", 3)[0][0].startswith("harbour")


def test_an_index_from_before_signatures_keeps_its_terms_while_the_lists_are_the_same(
    make_settings,
):
    """Its terms were made with the lists the language files hold: re-tokenizing a large
    index would stall its first question for minutes, for nothing."""
    from rag.index.bm25 import _UNRECORDED, SIGNATURE_KEY
    from rag.lexical import terms_signature

    # The premise: today's lists are those of the stores written before signatures. When a
    # language file's lists change, such stores are tokenized again like any other older
    # one (the next test), and this test has nothing left to check.
    assert terms_signature() == _UNRECORDED
    settings = make_settings(FILES)
    sync_corpus(settings)
    path = open_index(settings).terms().path
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM meta WHERE key = ?", (SIGNATURE_KEY,))
    before = _rowids(path)
    out = _search_elsewhere(settings, "cranes 1961")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith("[('harbour") and "tokenizing" not in out.stderr
    assert _rowids(path) == before  # no row written again
    sync_corpus(settings)  # the next sync records the signature
    assert open_index(settings).terms().meta(SIGNATURE_KEY) == terms_signature()
    assert _rowids(path) == before


def test_terms_made_with_other_stop_words_are_made_again(make_settings):
    """An index built before a language file's stop words (or stemmer) changed: its
    stored terms say what the old lists made of each chunk. The next process that
    searches tokenizes every chunk again, so BM25 reads the index as a new build would."""
    settings = make_settings(FILES)
    sync_corpus(settings)
    path = open_index(settings).terms().path
    _age_terms(path)
    shutil.rmtree(path.parent / f"{path.stem}.bm25")  # and no segments of the right terms
    out = _search_elsewhere(settings, "cranes 1961")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith("[('harbour")
    assert "tokenizing its" in out.stderr  # said once, as a warning
    index = open_index(settings)
    rows = index.terms().rows()[1]
    assert len(rows) == len(index.ids()) and not any(r[1] == "old" for r in rows)


@pytest.mark.slow
def test_another_process_sees_the_update(make_settings):
    """This process has searched (its BM25 is loaded) when another process ingests a
    file; its next search finds the new file, from the one segment the writer saved (the
    segments it had loaded are kept, not read again)."""
    settings = make_settings(FILES)
    sync_corpus(settings)
    index = open_index(settings)
    assert lexical_index(index).search("zeppelin hangar", 3) == []
    folder = _folder(settings)
    loaded = {k: v for k, v in ss._loaded.items() if Path(k).parent == folder}
    assert loaded
    (settings.corpus_dir / "hangar.txt").write_text(
        "The zeppelin hangar was demolished in 1998.", encoding="utf-8"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "rag.cli", "ingest", "-q"],
        env=_env(settings),
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    hits = lexical_index(index).search("zeppelin hangar", 3)
    assert hits and hits[0][0].startswith("hangar")
    now = {k: v for k, v in ss._loaded.items() if Path(k).parent == folder}
    assert len(now) == len(loaded) + 1 and all(now[k] is v for k, v in loaded.items())
    assert _results(lexical_index(index)) == _results(
        _scratch(settings.corpus_dir.parent, settings.corpus_dir)
    )


# -- server mode ------------------------------------------------------------------------


@pytest.mark.server
def test_server_mode_clients_keep_their_own_caches_in_step(chroma_url, make_settings, tmp_path):
    """Two clients of one server, each with its own BM25 cache folder: what one ingests,
    the other's next search finds (its cache follows the server's generation)."""
    writer = make_settings(
        FILES, chroma_url=chroma_url, collection="lexcache", lexical_cache_dir=tmp_path / "a"
    )
    reader = writer.replace(lexical_cache_dir=tmp_path / "b")
    sync_corpus(writer)
    # open_index keeps one index per location in a process: the reader's is made apart.
    reader_index = ChunkIndex(connection(reader), reader, open_index(writer).embedder)
    assert lexical_index(reader_index).search("quokka", 3) == []
    assert not (tmp_path / "data").exists()  # nothing in a data folder in server mode

    (writer.corpus_dir / "island.txt").write_text(
        "A quokka lives on the island; the ferry runs twice a day.", encoding="utf-8"
    )
    (writer.corpus_dir / "bridge.md").unlink()
    sync_corpus(writer)
    # The reader shares the writer's process here, but not its cache folder: its store
    # is brought up to date from the server.
    reader_store = reader_index.terms()
    assert reader_store.path.parent == tmp_path / "b"
    hits = lexical_index(reader_index).search("quokka", 3)
    assert hits and hits[0][0].startswith("island")
    assert reader_store.ids() == reader_index.ids()
    assert _results(lexical_index(reader_index)) == _results(_scratch(tmp_path, writer.corpus_dir))


def test_a_term_store_that_cannot_be_opened_is_one_clear_error(tmp_path):
    from rag.errors import IndexStoreError
    from rag.index.terms import TermStore

    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(IndexStoreError, match="BM25 term store"):
        TermStore(blocker / "lexical" / "x.sqlite3").version()


# -- segments (rag.index.segment_set) through sync, Chroma and processes ----------------


def _folder(settings: Settings) -> Path:
    return ss.folder(open_index(settings).terms())


def _stats(folder: Path) -> dict[str, tuple[int, int]]:
    """Each segment file's inode and modification time: a file written again changes."""
    return {
        str(p.relative_to(folder)): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in folder.glob("seg-*/**/*")
        if p.is_file()
    }


def test_sync_adds_a_segment_per_added_file_and_hides_deleted_chunks(make_settings, tmp_path):
    settings = make_settings(FILES)
    sync_corpus(settings)
    index = open_index(settings)
    assert lexical_index(index).search("zeppelin hangar", 3) == []
    before = _stats(_folder(settings))
    (settings.corpus_dir / "hangar.txt").write_text(
        "The zeppelin hangar was demolished in 1998.", encoding="utf-8"
    )
    sync_corpus(settings)
    after = _stats(_folder(settings))
    assert {k: v for k, v in after.items() if k in before} == before
    assert len({k.split("/")[0] for k in after} - {k.split("/")[0] for k in before}) == 1
    assert lexical_index(index).search("zeppelin hangar", 3)[0][0].startswith("hangar")

    (settings.corpus_dir / "bridge.md").unlink()
    sync_corpus(settings)
    assert _stats(_folder(settings)) == after
    bm25 = lexical_index(index)
    assert not any(cid.startswith("bridge") for cid, _ in bm25.search("Alpha bridge trains", 10))
    assert not bm25.knows("Alpha")  # only the deleted file used it
    assert _results(bm25) == _results(_scratch(tmp_path, settings.corpus_dir))


CHILD = r"""
import os, signal, sys
from rag import cli
from rag.index import segment_set, segments

def die():
    os.kill(os.getpid(), signal.SIGKILL)

if sys.argv[1] == "segment":  # its arrays written aside, not yet renamed
    real = segments.Postings.save
    def save(self, folder):
        real(self, folder)
        if folder.name == "sentences":
            die()
    segments.Postings.save = save
else:  # the segment renamed into place, the manifest not yet replaced
    segment_set._write = lambda parent, manifest: die()
sys.exit(cli.main(["ingest", "-q"]))
"""


@pytest.mark.slow
@pytest.mark.parametrize("point", ["segment", "manifest"])
def test_a_sync_killed_while_it_writes_a_segment_leaves_a_readable_index(
    make_settings, tmp_path, point
):
    settings = make_settings(FILES)
    sync_corpus(settings)
    (settings.corpus_dir / "hangar.txt").write_text(
        "The zeppelin hangar was demolished in 1998.", encoding="utf-8"
    )
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, point],
        env=_env(settings),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    if point == "segment":  # the kill landed mid-write: the half-written folder is there
        assert list(_folder(settings).glob("tmp-*"))
    # Another process reads the index as the store has it (the new file's chunks were
    # stored before the kill), and the next sync leaves only what its manifest names.
    out = _search_elsewhere(settings, "zeppelin hangar")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("[('hangar")
    sync_corpus(settings)
    folder = _folder(settings)
    manifest = ss.read(open_index(settings).terms())
    assert manifest is not None
    assert {p.name for p in folder.glob("seg-*")} == {n for n, _ in manifest.segments}
    assert not list(folder.glob("tmp-*"))
    index = open_index(settings)
    assert _results(lexical_index(index)) == _results(_scratch(tmp_path, settings.corpus_dir))


@pytest.mark.slow
def test_an_index_saved_before_segments_is_upgraded_once(make_settings, tmp_path):
    """Code before segments saved bm25s arrays in ``<store>.v<version>/``: the first
    process of the new code derives segments from the term store (no tokenizing), says
    so once, and removes the old folders."""
    settings = make_settings(FILES)
    sync_corpus(settings)
    store = open_index(settings).terms()
    shutil.rmtree(ss.folder(store))
    old = store.path.parent / f"{store.path.stem}.v{store.version()}"
    (old / "chunks").mkdir(parents=True)
    (old / "done").write_text(store.version(), encoding="ascii")
    code = (
        "import logging\nlogging.basicConfig(level=logging.INFO)\n"
        "from rag.config import Settings\nfrom rag.index import open_index\n"
        "from rag.lexical import lexical_index\n"
        "print(lexical_index(open_index(Settings.from_env())).search('cranes 1961', 3))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=_env(settings), capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("[('harbour")
    assert out.stderr.count("upgrading the index's scoring structure to segments") == 1
    assert "BM25: tokenizing" not in out.stderr and not old.exists()
    assert os.path.exists(ss.folder(store) / "manifest.json")
