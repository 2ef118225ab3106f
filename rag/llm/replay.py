"""Replay identical LLM requests from a folder: evaluations pay only for what changed.

An evaluation of a read-path change asks the model hundreds of questions; a change to
context selection alters the prompt of a fifth of them. At temperature 0 the same prompt
gets the same reply, so ``Replay`` stores every completed reply under a digest of
everything that shapes it (the backend and its model, the chat messages as sent, the JSON
schema, the token limit, temperature and stop strings) and returns it, without the model,
when exactly that request comes again:

    backend = Replay(get_backend(settings), Path("eval/.llm-cache"), model=settings.llm_model)
    answer(question, settings=settings, backend=backend)   # the second run costs no LLM call
    backend.hits, backend.misses

Used by ``rag eval --llm-cache DIR``; answers in the UI never go through it. Only requests
at temperature 0 are replayed (a sampled reply is not the model's one answer). Latencies
of replayed calls mean nothing: the eval result records the hits.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from rag.llm.base import Backend, Request

__all__ = ["Replay", "request_key"]

log = logging.getLogger(__name__)


def request_key(
    backend: str, model: str | None, request: Request, *, scaffolded: bool = False
) -> str:
    """Hex digest of what determines a reply; the messages are taken as the backend
    would send them (control tokens defused), so a change there is a new request.
    ``scaffolded``: the backend writes the reply's fixed parts (``rag.llm.scaffolded``),
    which rounds differently from generating them."""
    shape = {
        "backend": backend,
        "model": model or "",
        "messages": Backend.messages(request),
        "schema": request.schema,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "stop": list(request.stop),
    }
    if scaffolded:
        shape["scaffolded"] = True
    blob = json.dumps(shape, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class Replay(Backend):
    """``inner`` with its completed temperature-0 replies kept in ``folder``."""

    def __init__(self, inner: Backend, folder: Path, model: str | None = None) -> None:
        self.inner = inner
        self.folder = Path(folder)
        self.model = model
        self.name = inner.name  # type: ignore[misc]  # the trace names the real backend
        self.can_stream = inner.can_stream  # type: ignore[misc]
        self.uses_prompt = inner.uses_prompt  # type: ignore[misc]
        self.queued = inner.queued  # type: ignore[misc]
        self.hits = 0
        self.misses = 0

    def reporting_waits(self, waits: object) -> Backend:
        twin = copy.copy(self)
        twin.inner = self.inner.reporting_waits(waits)  # type: ignore[arg-type]
        twin._counts = self  # type: ignore[attr-defined]  # hits are counted on the original
        return twin

    def _count(self, hit: bool) -> None:
        owner: Replay = getattr(self, "_counts", self)
        if hit:
            owner.hits += 1
        else:
            owner.misses += 1

    def writes_scaffold(self, request: Request) -> bool:
        return self.inner.writes_scaffold(request)

    def _path(self, request: Request) -> Path:
        key = request_key(
            self.inner.name, self.model, request, scaffolded=self.writes_scaffold(request)
        )
        return self.folder / key[:2] / f"{key}.json"

    def stream(self, request: Request) -> Iterator[str]:
        if request.temperature != 0 or not self.uses_prompt:
            yield from self.inner.stream(request)
            return
        path = self._path(request)
        try:
            reply = json.loads(path.read_text(encoding="utf-8"))["reply"]
        except (OSError, ValueError, KeyError, TypeError):
            reply = None
        if isinstance(reply, str):
            self._count(True)
            yield reply
            return
        self._count(False)
        parts: list[str] = []
        for chunk in self.inner.stream(request):
            parts.append(chunk)
            yield chunk
        self._store(path, "".join(parts))  # only a reply streamed to its end is kept

    def _store(self, path: Path, reply: str) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"backend": self.inner.name, "reply": reply}, f, ensure_ascii=False)
            os.replace(tmp, path)
        except OSError as exc:  # a cache that cannot be written only costs time
            log.warning("LLM replay cache not written (%s): %s", path.parent, exc)
