"""BM25 in segments (rag.index.segments, rag.index.segment_set, rag.lexical): scored at
query time from raw term frequencies, updated one segment per sync.

The references are real: bm25s itself over the seed corpus's stored terms, and a whole
build from a real term store (sqlite in a temp folder) after every add/delete step. The
sync tests use real Chroma, the packaged embedding model and real killed subprocesses.
"""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import numpy as np
import pytest

from rag.config import Settings
from rag.index import open_index
from rag.index import segment_set as ss
from rag.index.terms import TermStore
from rag.lexical import LexicalIndex, best_documents, build, query_terms

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ["When were the cranes bought?", "bridge trains a day", "budget du port", "1961"]


def _questions() -> list[str]:
    with open(ROOT / "eval" / "dev.jsonl", encoding="utf-8") as f:
        asked = [json.loads(line)["question"] for line in f if line.strip()]
    return asked + QUERIES + ["2019", "the", "zzz-nothing"]


@pytest.fixture(scope="module")
def seed_rows(seed_settings: Settings) -> list[tuple[str, str, str]]:
    """The seed corpus's term-store rows: (id, terms, sentences)."""
    return open_index(seed_settings).terms().rows()[1]


def _bm25s_top(corpus: list[list[str]], queries: list[list[str]]) -> list[tuple[list, list]]:
    """bm25s's own weights ("lucene", k1 1.5, b 0.75), summed for each query."""
    import bm25s

    ref = bm25s.BM25()
    ref.index(corpus, show_progress=False)
    m, vocab, out = ref.scores, ref.vocab_dict, []
    for q in queries:
        tids = [vocab[t] for t in q if t in vocab]
        if not tids:
            out.append(([], []))
            continue
        docs = np.concatenate([m["indices"][m["indptr"][t] : m["indptr"][t + 1]] for t in tids])
        w = np.concatenate([m["data"][m["indptr"][t] : m["indptr"][t + 1]] for t in tids])
        top = best_documents(docs, w, int(m["num_docs"]), 10)
        out.append((list(top[0]), list(top[1])))
    return out


def test_scores_and_rankings_equal_bm25s_on_a_real_corpus(seed_rows):
    rows = [*seed_rows, ("zz-empty", "", "")]  # an empty chunk too: it counts in N
    built = build(rows)
    assert built.sentences is not None
    queries = [query_terms(q) for q in _questions()]
    sentences = [(cid, line) for cid, _, s in rows for line in (s.split("\n") if s else ())]
    for index, corpus in (
        (built, [r[1].split() for r in rows]),
        (built.sentences, [line.split() for _, line in sentences]),
    ):
        matched = 0
        for q, (docs, scores) in zip(queries, _bm25s_top(corpus, queries), strict=True):
            got_docs, got_scores = index._top(q, 10)
            assert list(got_docs) == docs, q
            np.testing.assert_allclose(got_scores, scores, rtol=1e-6)
            matched += bool(docs)
        assert matched > 200  # most questions hit something: the comparison is not empty
    assert built.knows("Strasbourg") and not built.knows("zzz-nothing")


def _compare(parts: ss.Parts, store: TermStore, queries: list[str]) -> None:
    """The segments' index searches as a whole build of the store's rows, to 1e-6."""
    segmented, whole = LexicalIndex.of_segments(parts), build(store.rows()[1])
    assert segmented.ids == whole.ids
    for q in queries:
        for a, b in ((segmented, whole), (segmented.sentences, whole.sentences)):
            assert a is not None and b is not None
            got, want = a.search(q, 10), b.search(q, 10)
            assert [i for i, _ in got] == [i for i, _ in want], q
            np.testing.assert_allclose([s for _, s in got], [s for _, s in want], atol=1e-6)
    assert segmented.vocabulary() == whole.vocabulary()
    assert segmented.sentences.vocabulary() == whole.sentences.vocabulary()  # type: ignore[union-attr]


def _copies(rows: list[tuple[str, str, str]], tag: str) -> list[tuple[str, str, str]]:
    return [(f"{cid}#{tag}", terms, sentences) for cid, terms, sentences in rows]


def test_add_and_delete_updates_score_as_a_whole_build(seed_rows, tmp_path):
    """A sequence of syncs (files added, deleted, deleted and added again) through the
    real store and segment folder: after every step, the same top 10 and scores as a
    whole build; merges and tombstone rewrites on the way keep it so."""
    store, rng = TermStore(tmp_path / "t.sqlite3"), random.Random(7)
    queries = _questions()[::9] + QUERIES
    files = {f"f{i}": _copies(rng.sample(seed_rows, 12), f"f{i}") for i in range(14)}
    store.put(_copies(seed_rows, "base"))
    names = []
    for step, name in enumerate(files):
        store.put(files[name])
        if step % 3 == 2:
            gone = rng.choice(list(files)[:step])
            store.delete(cid for cid, _, _ in files[gone])
        if step == 9:
            store.put(files["f1"])  # deleted before (step 2 or 5), or still there
        manifest, parts = ss.update(store, "sig")
        assert manifest.version == store.version()
        assert len(parts) <= ss.MAX_SEGMENTS
        names.append({n for n, _ in manifest.segments})
        _compare(parts, store, queries)
    # Merges happened (a segment disappeared) and segments were kept between updates.
    assert any(a - b for a, b in itertools.pairwise(names))
    assert any(a & b for a, b in itertools.pairwise(names))
    # The folder holds what the manifest names, nothing else.
    on_disk = {p.name for p in ss.folder(store).glob("seg-*")}
    assert on_disk == names[-1]


def _stats(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in folder.glob("seg-*/**/*")
        if p.is_file()
    }


def test_one_added_file_writes_one_segment_and_deletes_write_none(seed_rows, tmp_path):
    store = TermStore(tmp_path / "t.sqlite3")
    store.put(_copies(seed_rows, "a"))
    ss.update(store, "sig")
    store.put(_copies(seed_rows[:3], "b"))
    ss.update(store, "sig")
    before = _stats(ss.folder(store))
    added = _copies(seed_rows[:20], "new")
    store.put(added)
    manifest, parts = ss.update(store, "sig")
    after = _stats(ss.folder(store))
    assert {k: v for k, v in after.items() if k in before} == before  # untouched
    new = {k.split("/")[0] for k in after} - {k.split("/")[0] for k in before}
    assert len(new) == 1 and len(manifest.segments) == 3
    assert parts[-1][0].ids == sorted(cid for cid, _, _ in added)

    store.delete(cid for cid, _, _ in added[:5])
    manifest, parts = ss.update(store, "sig")
    assert _stats(ss.folder(store)) == after  # a delete writes no segment
    segment = parts[-1][0]
    deleted = sorted(segment.ids.index(cid) for cid, _, _ in added[:5])
    assert manifest.segments[-1] == (segment.name, deleted)
    hits = LexicalIndex.of_segments(parts)
    assert not set(hits.ids) & {cid for cid, _, _ in added[:5]}
    _compare(parts, store, QUERIES)


def test_a_manifest_of_other_terms_is_derived_again(seed_rows, tmp_path):
    store = TermStore(tmp_path / "t.sqlite3")
    store.put(_copies(seed_rows, "a"))
    first, _ = ss.update(store, "old-signature")
    manifest, parts = ss.update(store, "new-signature")
    assert manifest.signature == "new-signature"
    assert {n for n, _ in manifest.segments}.isdisjoint(n for n, _ in first.segments)
    _compare(parts, store, QUERIES)


def test_a_segment_mostly_deleted_is_rewritten_without_its_tombstones(seed_rows, tmp_path):
    store = TermStore(tmp_path / "t.sqlite3")
    rows = _copies(seed_rows, "a")
    store.put(rows)
    first, _ = ss.update(store, "sig")
    share = int(len(rows) * ss.TOMBSTONE_SHARE)
    store.delete(cid for cid, _, _ in rows[:share])  # at the share: kept, marked
    marked, _ = ss.update(store, "sig")
    assert [n for n, _ in marked.segments] == [n for n, _ in first.segments]
    assert len(marked.segments[0][1]) == share
    store.delete([rows[share][0]])  # past it: rewritten, nothing marked
    manifest, parts = ss.update(store, "sig")
    assert len(manifest.segments) == 1 and manifest.segments[0][1] == []
    assert manifest.segments[0][0] != first.segments[0][0]
    assert len(parts[0][0].ids) == len(rows) - share - 1
    assert not (ss.folder(store) / first.segments[0][0]).exists()
    _compare(parts, store, QUERIES)


def test_a_reader_whose_segments_are_merged_away_meanwhile_reads_the_new_set(
    seed_rows, tmp_path, monkeypatch
):
    """Another writer rewrites (and removes) the segment a reader is about to load,
    between the reader's manifest read and its load: the reader reads the new manifest."""
    from rag.index import bm25, segments

    store = TermStore(tmp_path / "t.sqlite3")
    rows = _copies(seed_rows, "a")
    store.put(rows)
    signature = bm25._recorded(store)
    first, _ = ss.update(store, signature)
    ss._loaded.clear()  # a reader process that has loaded nothing yet
    real, raced = segments.Segment.load, []

    def load_after_a_merge(folder: Path) -> segments.Segment:
        if not raced:
            raced.append(folder.name)
            store.delete(cid for cid, _, _ in rows[: len(rows) // 2])
            ss.update(store, signature)  # rewrites the half-deleted segment, removes it
        return real(folder)

    monkeypatch.setattr(segments.Segment, "load", staticmethod(load_after_a_merge))
    version, index = bm25._load_or_build(store, stale_ok=False)
    assert raced == [first.segments[0][0]]
    assert not (ss.folder(store) / raced[0]).exists()
    assert version == store.version()
    whole = build(store.rows()[1])
    assert index.ids == whole.ids
    assert [index.search(q, 10) for q in QUERIES] == [whole.search(q, 10) for q in QUERIES]


def test_a_term_store_made_again_beside_old_segments_does_not_take_them(seed_rows, tmp_path):
    """A deleted term store's file made again counts versions from 1 again: segments
    saved for the old one at the same version number are another store's."""
    path = tmp_path / "t.sqlite3"
    store = TermStore(path)
    store.put(_copies(seed_rows, "old"))
    old, _ = ss.update(store, "sig")
    store.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = TermStore(path)
    store.put(_copies(seed_rows[:5], "new"))
    assert store.version() == old.version  # the coincidence this guards against
    assert ss.read(store) is None
    manifest, parts = ss.update(store, "sig")
    assert {n for n, _ in manifest.segments}.isdisjoint(n for n, _ in old.segments)
    _compare(parts, store, QUERIES)
