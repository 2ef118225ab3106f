"""The BM25 index kept in step with the collection: across processes, crashes and servers.

Writes (``ChunkIndex.upsert``/``delete``) change Chroma first, then the term store
(``rag.index.terms``), so a crash between the two leaves a chunk in Chroma without terms
(its file's manifest entry is not written yet: the next sync writes both again) or, in a
delete, terms of a chunk Chroma lost. At the end of every sync ``refresh`` compares the
two id sets and repairs either case, then brings the saved BM25 segments up to the
store's version (``rag.index.segment_set``, beside the store in ``<store>.bm25/``), for
every process:

    refresh(index, chroma_ids)       # the writer, at the end of a sync (under its lock)
    bm25 = current(index)            # a reader: loads the saved segments of the store's
                                     # version, or keeps its own while another process
                                     # is writing

The segments hold raw term frequencies (``rag.index.segments``) and the query's weights
are computed from statistics summed over them (``rag.lexical.LexicalIndex``), so a sync
that adds a file writes one segment of that file's chunks and one that deletes a file
marks its chunks deleted: nothing else is rebuilt or tokenized (bm25s's whole rebuild
took ~83 s wall at 108k chunks for any change; bench/README.md). A reader loads only the
segments it has not loaded yet. A sync that changes nothing changes no version: nothing
is tokenized, written or loaded. Terms made under other stop words or stemmers than the
language files' (the store's recorded ``rag.lexical.terms_signature``) are made again,
once, by ``reconcile``, and the segments derived again from them. An index saved before
segments (``<store>.v<version>/`` folders of bm25s arrays) gets its segments derived from
the term store once, on first use, with a warning in the log; the old folders are removed.

With a Chroma server, each client's term store is a local cache of the server's
collection. A sync publishes a new ``lexical_generation`` in the collection's metadata;
a reader whose cache reflects another generation brings it up to date by comparing ids
with the server (only new chunks are fetched and tokenized) before searching.
"""

from __future__ import annotations

import logging
import shutil
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from rag.index import segment_set
from rag.index.terms import TermStore
from rag.lexical import LexicalIndex, build, chunk_terms, terms_signature

if TYPE_CHECKING:
    from rag.index.chunks import ChunkIndex

__all__ = ["current", "drop", "reconcile", "refresh", "stamp"]

log = logging.getLogger(__name__)

#: The collection metadata key a server-mode sync bumps (see the module docstring).
GENERATION_KEY = "lexical_generation"
#: The term store's meta key holding ``rag.lexical.terms_signature`` of its rows.
SIGNATURE_KEY = "terms_signature"
#: The signature of the terms every store written before signatures were recorded holds
#: (bm25s's stop lists, the same words the language files hold since): such a store is
#: not tokenized again, which at 100k chunks would take minutes, unless the lists change.
_UNRECORDED = "6cfec34375d2b768"
_PAGE = 500
#: Loads tried before updating: a merge by another process may remove the segments of
#: the manifest just read, once per try.
_RETRIES = 3

_cache: dict[str, tuple[str, LexicalIndex]] = {}  # store path -> (version, index)
_lock = threading.RLock()


def current(index: ChunkIndex) -> LexicalIndex:
    """The BM25 index as of the term store's version; see the module docstring."""
    store = index.terms()
    if index.remote:
        _follow(index, store)
    key = str(store.path)
    version = store.version()
    cached = _cache.get(key)
    if cached and cached[0] == version:
        return cached[1]
    with _lock:
        cached = _cache.get(key)
        if cached and cached[0] == version:
            return cached[1]
        busy = index.writer_busy()
        if cached is not None and busy:
            return cached[1]  # another process is mid-sync: its end state comes with refresh
        if (
            cached is None
            and not busy
            and (store.count() != index.count() or _recorded(store) != terms_signature())
        ):
            # First use in this process of a store that misses chunks (an index built
            # before terms were stored, or a crash no sync has repaired yet), or whose
            # terms were made with other stop words or stemmers.
            reconcile(index, store)
        version, built = _load_or_build(store, stale_ok=busy)
        _cache[key] = (version, built)
        return built


def refresh(
    index: ChunkIndex, chroma_ids: set[str] | None = None, *, progress: bool = False
) -> None:
    """After a sync: repair the term store against Chroma's ids, publish a server-mode
    generation, and build and save the scoring structure if the terms changed
    (``progress``: a bar while chunks are tokenized)."""
    store = index.terms()
    reconcile(index, store, chroma_ids, progress=progress)
    version = store.version()
    if index.remote and store.meta("published") != version:
        generation = uuid.uuid4().hex
        index.set_metadata(GENERATION_KEY, generation)
        store.set_meta("source", generation)
        store.set_meta("published", version)
    with _lock:
        cached = _cache.get(str(store.path))
        if cached and cached[0] == version:
            return
        version, built = _load_or_build(store, stale_ok=False)
        _cache[str(store.path)] = (version, built)


def _recorded(store: TermStore) -> str:
    """The signature a store's terms were made under ("" for an empty, unsigned one)."""
    return store.meta(SIGNATURE_KEY) or (_UNRECORDED if store.count() else "")


def stamp(store: TermStore) -> None:
    """Record the current ``terms_signature`` on a store about to get its first rows (a
    store with rows and no signature predates signatures: its terms are taken as made
    under ``_UNRECORDED``)."""
    if not store.meta(SIGNATURE_KEY) and store.count() == 0:
        store.set_meta(SIGNATURE_KEY, terms_signature())


def reconcile(
    index: ChunkIndex,
    store: TermStore,
    chroma_ids: set[str] | None = None,
    *,
    progress: bool = False,
) -> None:
    """Make the store's ids Chroma's: forget the extra, fetch and tokenize the missing.
    A store whose terms were made under another ``terms_signature`` is tokenized anew
    (minutes at 100k chunks: ``progress`` shows a bar)."""
    ids = index.ids() if chroma_ids is None else chroma_ids
    signature = terms_signature()
    if _recorded(store) != signature:
        stale = store.ids()
        if stale:
            log.warning(
                "BM25: the stop words or stemmers changed since this index was built: "
                "tokenizing its %d chunks again (once)",
                len(stale),
            )
            store.delete(stale)
    if store.meta(SIGNATURE_KEY) != signature:
        store.set_meta(SIGNATURE_KEY, signature)
    have = store.ids()
    extra = have - ids
    missing = sorted(ids - have)
    if extra:
        log.info("BM25: forgetting %d chunks the index no longer has", len(extra))
        store.delete(extra)
    if missing:
        log.info("BM25: tokenizing %d chunks the term store lacks", len(missing))
    bar = None
    if progress and missing:
        from tqdm import tqdm

        bar = tqdm(total=len(missing), desc="BM25 terms", unit="chunk", leave=False)
    for i in range(0, len(missing), _PAGE):
        passages = index.get(missing[i : i + _PAGE])
        store.put((p.chunk_id, *chunk_terms(p.text, p.lang)) for p in passages)
        if bar is not None:
            bar.update(len(passages))
    if bar is not None:
        bar.close()


def drop(store_path: Path) -> None:
    """Delete a term store and its saved segments (its collection was dropped); also
    the ``.v<version>`` structures code before segments saved."""
    from rag.index.terms import forget

    with _lock:
        _cache.pop(str(store_path.resolve()), None)
    forget(store_path)
    for folder in store_path.parent.glob(f"{store_path.stem}.v*"):
        shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(store_path.parent / f"{store_path.stem}.bm25", ignore_errors=True)


def _follow(index: ChunkIndex, store: TermStore) -> None:
    """Server mode: bring the local cache up to the server's published generation."""
    generation = str(index.metadata().get(GENERATION_KEY) or "")
    if generation and generation != store.meta("source"):
        with _lock:
            if generation != store.meta("source"):
                reconcile(index, store)
                store.set_meta("source", generation)
                store.set_meta("published", store.version())


def _load_or_build(store: TermStore, *, stale_ok: bool) -> tuple[str, LexicalIndex]:
    """The saved segments of the store's version, else (``stale_ok``: while another
    process writes) the newest saved ones, else the saved ones brought up to the store's
    rows (``segment_set.update``: one new segment of the added chunks, tombstones for the
    deleted), else, in a folder that cannot be written, a build in memory."""
    for _ in range(_RETRIES):
        manifest = segment_set.read(store)
        if manifest is None:
            break
        fresh = manifest.version == store.version() and manifest.signature == _recorded(store)
        if not (fresh or stale_ok):
            break
        try:
            return manifest.version, LexicalIndex.of_segments(segment_set.load(store, manifest))
        except (OSError, ValueError) as exc:  # merged away meanwhile: read the new manifest
            log.info("cannot load BM25 segments of version %s (%s)", manifest.version, exc)
    try:
        manifest, parts = segment_set.update(store, _recorded(store))
    except OSError as exc:
        log.info("BM25 segments not saved (%s): built in memory", exc)
        version, rows = store.rows()
        return version, build(rows)
    return manifest.version, LexicalIndex.of_segments(parts)
