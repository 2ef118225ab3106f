"""The BM25 index kept in step with the collection: across processes, crashes and servers.

Writes (``ChunkIndex.upsert``/``delete``) change Chroma first, then the term store
(``rag.index.terms``), so a crash between the two leaves a chunk in Chroma without terms
(its file's manifest entry is not written yet: the next sync writes both again) or, in a
delete, terms of a chunk Chroma lost. At the end of every sync ``refresh`` compares the
two id sets and repairs either case, then builds the scoring structure once from the
stored terms and saves it beside them (``<store>.v<version>/``), for every process:

    refresh(index, chroma_ids)       # the writer, at the end of a sync (under its lock)
    bm25 = current(index)            # a reader: loads the saved structure of the
                                     # store's version, or keeps its own while another
                                     # process is writing

A sync that changes nothing changes no version: nothing is tokenized, built or loaded.
Terms made under other stop words or stemmers than the language files' (the store's
recorded ``rag.lexical.terms_signature``) are made again, once, by ``reconcile``.
One file added to a large index tokenizes that file's chunks only; the scoring structure
(bm25s's sparse matrix, no tokenizing) is rebuilt from the stored terms.

With a Chroma server, each client's term store is a local cache of the server's
collection. A sync publishes a new ``lexical_generation`` in the collection's metadata;
a reader whose cache reflects another generation brings it up to date by comparing ids
with the server (only new chunks are fetched and tokenized) before searching.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

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
    """Delete a term store and its saved structures (its collection was dropped)."""
    from rag.index.terms import forget

    with _lock:
        _cache.pop(str(store_path.resolve()), None)
    forget(store_path)
    for folder in store_path.parent.glob(f"{store_path.stem}.v*"):
        shutil.rmtree(folder, ignore_errors=True)


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
    """The saved structure of the store's version, else (``stale_ok``: while another
    process writes) the newest saved one, else one built from the stored terms and saved."""
    saved = _saved(store)
    version = store.version()
    candidates = [version, *(sorted(saved, key=int, reverse=True) if stale_ok else [])]
    for v in candidates:
        if v in saved:
            try:
                return v, _load(saved[v])
            except (OSError, ValueError) as exc:  # removed or half-written meanwhile
                log.info("cannot load the BM25 structure %s (%s): building it", saved[v], exc)
    version, rows = store.rows()
    built = build(rows)
    log.info(
        "built BM25 over %d chunks, %d sentences",
        len(built.ids),
        len(built.sentences.ids) if built.sentences else 0,
    )
    _save(store, version, built)
    return version, built


def _saved(store: TermStore) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for folder in store.path.parent.glob(f"{store.path.stem}.v*"):
        v = folder.name.rsplit(".v", 1)[-1]
        if v.isdigit() and (folder / "done").exists():
            out[v] = folder
    return out


def _load(folder: Path) -> LexicalIndex:
    import numpy as np

    loaded = LexicalIndex.load(folder / "chunks")
    owners = np.load(folder / "sentences" / "owners.npy").tolist()
    loaded.sentences = LexicalIndex.load(folder / "sentences", [loaded.ids[i] for i in owners])
    return loaded


def _save(store: TermStore, version: str, built: LexicalIndex) -> None:
    """Save as ``<store>.v<version>`` (written aside, then renamed: readers see all or
    nothing) and remove older versions. A store in a read-only place is not saved."""
    final = store.path.parent / f"{store.path.stem}.v{version}"
    tmp = store.path.parent / f"{store.path.stem}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        import numpy as np

        built.save(tmp / "chunks")
        # A sentence's id is its chunk's: saved as a position in the chunk ids (600k
        # sentence ids as JSON strings took ~50 MB more of every reader's memory).
        sentences = built.sentences or LexicalIndex([], [])
        sentences.save(tmp / "sentences", with_ids=False)
        position = {cid: i for i, cid in enumerate(built.ids)}
        owners = np.array([position[cid] for cid in sentences.ids], dtype=np.int32)
        np.save(tmp / "sentences" / "owners.npy", owners)
        (tmp / "done").write_text(version, encoding="ascii")
        tmp.rename(final)
    except OSError as exc:
        log.info("BM25 structure not saved (%s)", exc)
        shutil.rmtree(tmp, ignore_errors=True)
        return
    for v, folder in _saved(store).items():
        if v != version:
            with contextlib.suppress(OSError):
                shutil.rmtree(folder)
