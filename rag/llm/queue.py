"""One generation at a time: the local model's queue, and what waiting in it costs.

llama.cpp contexts are not thread-safe, and on a few cores two generations at once
would each run at half speed anyway, so the local backend writes one reply at a time and
the others wait their turn, first come first served. A caller that finds the model busy
is told so (``on_wait(True)`` as it starts waiting, ``on_wait(False)`` when its turn
comes) and the wait is recorded in its ``Waits``:

    waits = Waits(on_wait=lambda waiting: print("waiting" if waiting else "writing"))
    with queue.turn(waits):        # blocks while another generation holds the model
        ...
    waits.take()                   # [812.4]: milliseconds of each wait since the last take

A turn may be taken in one thread and given back in another (a generator holds it across
its yields, and Gradio resumes generators in any worker thread), so it is a ticket
counter, not a thread-owned lock. ``Waits.cancel()`` gives up a place still waiting.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rag.errors import BackendError

__all__ = ["ModelQueue", "Waits"]

log = logging.getLogger(__name__)

_POLL = 0.25  # seconds: how soon a cancelled place in the queue is given up


@dataclass
class Waits:
    """One answer's waits for the model: told as they start and end, timed in ms."""

    on_wait: Callable[[bool], None] | None = None
    total_ms: float = 0.0
    _pending: list[float] = field(default_factory=list)
    _cancelled: threading.Event = field(default_factory=threading.Event)

    def take(self) -> list[float]:
        """The waits (milliseconds) recorded since the last call."""
        taken, self._pending = self._pending, []
        return taken

    def cancel(self) -> None:
        """Give up waiting: a ``turn`` still waiting raises ``BackendError``."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def _tell(self, waiting: bool) -> None:
        if self.on_wait is not None:
            self.on_wait(waiting)

    def _record(self, ms: float) -> None:
        self._pending.append(ms)
        self.total_ms = round(self.total_ms + ms, 1)


class ModelQueue:
    """First come, first served turns at one model."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._next = 0  # the ticket the next caller gets
        self._serving = 0  # the ticket whose turn it is
        self._abandoned: set[int] = set()

    @property
    def busy(self) -> bool:
        """Whether a generation holds the model now."""
        with self._cond:
            return self._next != self._serving

    @property
    def waiting(self) -> int:
        """How many callers are waiting for their turn."""
        with self._cond:
            return max(0, self._next - self._serving - 1 - len(self._abandoned))

    @contextmanager
    def turn(self, waits: Waits | None = None) -> Iterator[None]:
        """Hold the model for the with-block, after the callers that came first.

        Raises:
            BackendError: ``waits`` was cancelled while waiting.
        """
        with self._cond:
            ticket = self._next
            self._next += 1
            queued = ticket != self._serving
        if queued:
            self._wait(ticket, waits or Waits())
        try:
            yield
        finally:
            self._advance()

    def _wait(self, ticket: int, waits: Waits) -> None:
        started = time.perf_counter()
        try:
            waits._tell(True)
            with self._cond:
                while ticket != self._serving:
                    if waits.cancelled:
                        raise BackendError("The answer was stopped while it waited for the model.")
                    self._cond.wait(_POLL)
            ms = round((time.perf_counter() - started) * 1000, 1)
            waits._record(ms)
            log.info("waited %.0f ms for the model: another answer was being written", ms)
            waits._tell(False)
        except BaseException:  # cancelled, interrupted, or on_wait failed: leave the queue
            with self._cond:
                if ticket != self._serving:
                    self._abandoned.add(ticket)
                    return_turn = False
                else:
                    return_turn = True
            if return_turn:
                self._advance()
            raise

    def _advance(self) -> None:
        """The next ticket's turn, skipping places given up."""
        with self._cond:
            self._serving += 1
            while self._serving in self._abandoned:
                self._abandoned.discard(self._serving)
                self._serving += 1
            self._cond.notify_all()
