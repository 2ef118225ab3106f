"""Claims put into another language by an LLM backend, so a word-share check can read them.

Verification (``rag.citations``) and the eval's cross-lingual judge match words, and a
French claim shares few words with its English source. Both can ask the backend for the
claim in the source's language and apply their usual rules to that:

    translate = backend_translator(backend)
    translate("Le port a ouvert en 1999.", "en")    # 'The port opened in 1999.'

The translation is greedy, one line, and None when the backend fails or replies with
nothing (the caller then keeps its verdict without it). Each distinct ``(text, lang)`` is
asked once per translator; ``calls`` holds them with their time in milliseconds.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rag.llm.base import Backend

__all__ = ["Translator", "backend_translator"]

log = logging.getLogger(__name__)


class Translator:
    """``translate(text, lang)`` by ``backend``, memoised; see the module doc."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.memo: dict[tuple[str, str], str | None] = {}
        self.calls: list[dict[str, object]] = []

    def __call__(self, text: str, lang: str) -> str | None:
        if (text, lang) not in self.memo:
            self.memo[(text, lang)] = self._ask(text, lang)
        return self.memo[(text, lang)]

    def _ask(self, text: str, lang: str) -> str | None:
        from rag.errors import BackendError
        from rag.llm.base import Request
        from rag.prompt import build_translate_answer_messages

        request = Request(
            question=text,
            messages=build_translate_answer_messages(text, lang),
            max_tokens=2 * len(text.split()) + 32,
            temperature=0.0,
        )
        started = time.perf_counter()
        try:
            out = self.backend.complete(request).strip()
        except BackendError as exc:
            log.warning("could not translate a claim: %s", exc)
            return None
        finally:
            ms = round((time.perf_counter() - started) * 1000, 1)
        result = out.splitlines()[0].strip() if out else None
        self.calls.append({"lang": lang, "text": result, "ms": ms})
        return result


#: The name the eval's cross-lingual judge and its callers use.
backend_translator = Translator
