"""One chat answer, run beside the request so the chat can say when it waits for the model.

The local model writes one answer at a time (``rag.llm.queue``). A question asked while
it is busy waits inside ``stream_answer``, which yields nothing meanwhile; so the answer
runs in a worker thread and ``live_answer`` passes on, in order, its text deltas, a
``ModelWait`` when it starts and stops waiting, and the final ``Answer``:

    for item in live_answer(question, history, settings=s, backend=llm):
        if isinstance(item, ModelWait):
            show(WAITING if item.waiting else "")
        elif isinstance(item, str):
            draft += item
        else:
            final = item

An error in the answer is raised here, in the consumer. Closing the generator (the user
pressed Stop) stops the worker: a place still waiting in the queue is given up, and a
generation in progress ends at its next delta.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from rag.answer import stream_answer
from rag.config import Settings
from rag.llm.base import Backend
from rag.llm.queue import Waits
from rag.types import Answer, Turn

__all__ = ["WAITING", "ModelWait", "live_answer"]

#: What the chat shows while an answer waits for the local model.
WAITING = "Waiting for the model: another answer is being written…"

_DONE = object()


@dataclass(frozen=True)
class ModelWait:
    """The answer started (``waiting=True``) or stopped waiting for the model."""

    waiting: bool


@dataclass(frozen=True)
class _Failed:
    error: BaseException


def live_answer(
    question: str,
    history: Iterable[Turn | Mapping[str, Any]] = (),
    *,
    settings: Settings,
    backend: Backend | None = None,
) -> Iterator[str | ModelWait | Answer]:
    """``stream_answer`` in a worker thread, with ``ModelWait`` items for its waits.

    Raises:
        RAGError: whatever ``stream_answer`` raised, with its message.
    """
    items: queue.Queue[Any] = queue.Queue()
    stop = threading.Event()
    waits = Waits(on_wait=lambda waiting: items.put(ModelWait(waiting)))

    def work() -> None:
        stream = stream_answer(question, history, settings=settings, backend=backend, waits=waits)
        try:
            for item in stream:
                items.put(item)
                if stop.is_set():
                    break
        except BaseException as exc:  # handed to the consumer, raised there
            items.put(_Failed(exc))
        finally:
            stream.close()  # gives the model back if it stopped mid-generation
            items.put(_DONE)

    worker = threading.Thread(target=work, name="rag-answer", daemon=True)
    worker.start()
    try:
        while (item := items.get()) is not _DONE:
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        waits.cancel()
