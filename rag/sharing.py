"""Several processes, one local index: a writer lock and a generation counter.

Embedded Chroma keeps each collection's vector index in the memory of every process
that opened it, and does not notice another process's writes: a chat UI that answered
once, then saw a terminal ``rag ingest`` add files, failed on its next question with
"Error finding id". Two files in the data folder coordinate the processes instead:

  ``<data dir>/index.lock``        held by the one process writing (filelock); a second
                                   writer waits, saying so, and names the holder
  ``<data dir>/index.generation``  a counter every write bumps; a reader that sees it
                                   change reopens its Chroma client before reading

    store = shared_store(Path(".rag"))
    with store.writing(timeout=600):   # waits visibly for another writer
        ...write...
        store.bump()
    store.generation()                 # "7": compare with the one your client saw

Readers take no lock: the UI keeps answering while an ingest runs, from the state
each read finds (a file being re-indexed can briefly show old and new chunks).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from rag.errors import IndexBusyError, IndexStoreError

__all__ = ["SharedStore", "shared_store"]

log = logging.getLogger(__name__)

_POLL_SECONDS = 0.5


class SharedStore:
    """The lock and generation files of one data folder (one per folder per process)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lock_path = root / "index.lock"
        self.owner_path = root / "index.lock.owner"
        self.generation_path = root / "index.generation"
        # Threads of this process queue here; the file lock is taken once, by the
        # outermost holder, so filelock never sees two holders in one process.
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._file_lock: object | None = None

    # -- generation -------------------------------------------------------------
    def generation(self) -> str:
        """The current generation ("" before the first write)."""
        try:
            return self.generation_path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return ""

    def bump(self) -> str:
        """Record that the index changed (call while ``writing()``); the new generation."""
        current = self.generation()
        new = str(int(current) + 1 if current.isdigit() else 1)
        tmp = self.generation_path.with_name(f"{self.generation_path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(new + "\n", encoding="ascii")
            os.replace(tmp, self.generation_path)  # readers see the old value or the new one
        except OSError as exc:
            raise _unwritable(self.generation_path, exc) from exc
        return new

    # -- writer lock ------------------------------------------------------------
    @contextlib.contextmanager
    def writing(
        self, timeout: float, on_wait: Callable[[str], None] | None = None
    ) -> Iterator[None]:
        """Hold the writer lock (re-entrant); wait up to ``timeout`` s for another process.

        Raises:
            IndexBusyError: another process kept the lock for ``timeout`` seconds.
        """
        with self._thread_lock:
            if self._depth == 0:
                self._acquire(timeout, on_wait or _say)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._release()

    def writer_active(self) -> bool:
        """Whether another process holds the writer lock right now. A thread of this
        process writing is not another process: a write of ours waits for it here."""
        if not self._thread_lock.acquire(blocking=False):
            return False  # a thread of ours is writing (or taking the file lock)
        try:
            if self._depth > 0:
                return False
            from filelock import FileLock, Timeout

            probe = FileLock(str(self.lock_path), thread_local=False)
            try:
                probe.acquire(timeout=0)
            except Timeout:
                return True
            except OSError:  # a read-only data folder: nobody can be writing it
                return False
            probe.release()
            return False
        finally:
            self._thread_lock.release()

    def owner(self) -> str:
        """Who holds the lock, as its owner file says ("" when unknown)."""
        try:
            return self.owner_path.read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def _acquire(self, timeout: float, on_wait: Callable[[str], None]) -> None:
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.lock_path), thread_local=False)
        deadline = time.monotonic() + timeout
        said = False
        while True:
            try:
                self.root.mkdir(parents=True, exist_ok=True)
                # Always a finite wait: filelock refuses an endless one it calls a deadlock.
                lock.acquire(timeout=0 if not said else _POLL_SECONDS)
                break
            except Timeout:
                if not said:
                    who = self.owner() or "another process"
                    on_wait(f"{who} is writing the index at {self.root}; waiting for it to finish…")
                    said = True
                if time.monotonic() >= deadline:
                    raise IndexBusyError(
                        f"{self.owner() or 'Another process'} has been writing the index at "
                        f"{self.root} for more than {timeout:g} s. Wait for it to finish (or "
                        "stop it), then run the command again; RAG_INDEX_LOCK_TIMEOUT sets "
                        "how long to wait."
                    ) from None
            except OSError as exc:  # after Timeout, which is an OSError too
                raise _unwritable(self.lock_path, exc) from exc
        self._file_lock = lock
        try:
            command = " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv))
            self.owner_path.write_text(
                f"process {os.getpid()} ({command[:120]}, since {time.strftime('%H:%M:%S')})",
                encoding="utf-8",
            )
        except OSError:
            log.debug("cannot write %s", self.owner_path)

    def _release(self) -> None:
        with contextlib.suppress(OSError):
            self.owner_path.unlink()
        lock, self._file_lock = self._file_lock, None
        if lock is not None:
            lock.release()  # type: ignore[attr-defined]


def _unwritable(path: Path, exc: OSError) -> IndexStoreError:
    return IndexStoreError(
        f"Cannot write {path} ({exc.strerror or exc}): the index needs a folder it can write "
        "to. Check RAG_DATA_DIR, or point it somewhere else."
    )


def _say(message: str) -> None:
    log.warning("%s", message)


_stores: dict[str, SharedStore] = {}
_stores_lock = threading.Lock()


def shared_store(root: Path) -> SharedStore:
    """The ``SharedStore`` of a data folder, one per folder per process."""
    key = str(Path(root).resolve())
    with _stores_lock:
        if key not in _stores:
            _stores[key] = SharedStore(Path(key))
        return _stores[key]
