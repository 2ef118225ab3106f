"""Generation: the backend writes an answer over the numbered context, as claims.

A prompt-reading backend is asked for a structured reply (``rag.grounding.claims``); the
claims are rendered as sentences with ``[n]`` markers. A backend or server that ignores
the schema replies in free text, which is used as it is. The extractive backend quotes
sentences itself. Either way the result is text with markers, which verification checks.

    gen = Generation(question, context, backend, settings, lang="en")
    for delta in gen.stream():
        print(delta, end="")
    gen.text      # 'It was signed in Lyon [1].'
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from rag.grounding import claims as claims_mod
from rag.llm.base import Backend, Request
from rag.types import Passage

if TYPE_CHECKING:
    from rag.config import Settings

__all__ = ["Generation"]

log = logging.getLogger(__name__)


class Generation:
    """One backend call over ``context``; ``text`` and ``info`` are set once streamed."""

    def __init__(
        self,
        question: str,
        context: Sequence[Passage],
        backend: Backend,
        settings: Settings,
        *,
        lang: str,
        min_claims: int = 0,
    ) -> None:
        self.question = question
        self.context = list(context)
        self.backend = backend
        self.settings = settings
        self.lang = lang
        self.min_claims = min_claims
        self.text = ""
        self.info: dict[str, Any] = {}

    def stream(self) -> Iterator[str]:
        """Yield readable text deltas; afterwards ``text`` holds the answer with markers."""
        started = time.perf_counter()
        if not self.backend.uses_prompt:
            self.text = "".join(
                self.backend.stream(Request(question=self.question, passages=self.context))
            )
            yield self.text
            self._done(started, structured=False)
            return
        from rag.prompt import build_claims_messages

        request = Request(
            question=self.question,
            passages=self.context,
            messages=build_claims_messages(self.question, self.context, lang=self.lang),
            max_tokens=self.settings.max_answer_tokens,
            temperature=self.settings.temperature,
            schema=claims_mod.schema(len(self.context), min_claims=self.min_claims),
            scaffold=claims_mod.scaffold(len(self.context)),
        )
        visible = claims_mod.ClaimStream()
        for delta in self.backend.stream(request):
            yield from visible.feed(delta)
        parsed = claims_mod.parse(visible.raw)
        self.info["claims"] = None if parsed is None else len(parsed)
        self.text = visible.raw.strip() if parsed is None else claims_mod.render(parsed)
        if parsed is None:
            log.info("the reply is not structured: reading it as free text")
            yield self.text
        self._done(started, structured=parsed is not None)

    def _done(self, started: float, *, structured: bool) -> None:
        self.info.update(
            step="generate",
            backend=self.backend.name,
            structured=structured,
            ms=round((time.perf_counter() - started) * 1000, 1),
            reply=self.text,
        )
