"""The question as retrieval reads it: a follow-up made standalone, and an English wording
of a question asked in another language.

    standalone("And when was it adopted?", history, backend)
    # -> "When was the harbour bylaw adopted?"
    in_english("Qui a signé le bail ?", "fr", backend, settings)
    # -> "Who signed the lease?"

With an LLM backend the model rewrites; the extractive backend appends the previous
turn's key terms (``rag.llm.extractive.condense_heuristic``) and reads questions as asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from rag.llm.base import Backend, Request
from rag.types import Turn

if TYPE_CHECKING:
    from rag.config import Settings

__all__ = ["in_english", "question_lang", "standalone", "to_turns"]


def question_lang(question: str) -> str:
    """en/fr/it of a question (function words: questions are too short for n-grams)."""
    from rag.text.lang import question_lang as detect_lang

    return detect_lang(question)


def standalone(question: str, history: list[Turn], backend: Backend) -> str:
    """``question`` rewritten so it can be understood without ``history``."""
    if not history:
        return question
    if not backend.uses_prompt:
        from rag.llm.extractive import condense_heuristic

        return condense_heuristic(question, history)
    from rag.prompt import build_condense_messages

    rewritten = backend.complete(
        Request(
            question=question,
            messages=build_condense_messages(question, history),
            max_tokens=64,
        )
    ).strip()
    return rewritten.splitlines()[0].strip() if rewritten else question


def in_english(query: str, lang: str, backend: Backend, settings: Settings) -> str | None:
    """An English wording of a non-English question, by the LLM (None for English
    questions and for the extractive backend). Retrieval and context selection use both
    wordings: MiniLM and BM25 match words, so a French question alone misses the English
    passage that answers it. Names the model garbled are put back in the corpus's
    spelling (``rag.lexical.repair_names``)."""
    if lang == "en" or not backend.uses_prompt:
        return None
    from rag.index import open_index
    from rag.lexical import lexical_index, repair_names
    from rag.prompt import build_translate_messages

    out = backend.complete(
        Request(question=query, messages=build_translate_messages(query), max_tokens=64)
    ).strip()
    line = out.splitlines()[0].strip().strip('"') if out else ""
    if line:
        line = repair_names(query, line, lexical_index(open_index(settings)))
    return line if line and line != query else None


def to_turns(history: Iterable[Turn | Mapping[str, Any]]) -> list[Turn]:
    """Accept ``Turn``s, OpenAI-style dicts, or Gradio 6 messages whose ``content`` is a
    list of parts (``[{"type": "text", "text": ...}]``), and return plain ``Turn``s."""
    turns: list[Turn] = []
    for item in history:
        if isinstance(item, Turn):
            turns.append(item)
            continue
        role = str(item.get("role", "user"))
        content = item.get("content", "")
        if isinstance(content, list):
            content = " ".join(
                str(p.get("text", "")) if isinstance(p, Mapping) else str(p) for p in content
            )
        if role in ("user", "assistant") and str(content).strip():
            turns.append(Turn(role=role, content=str(content)))  # type: ignore[arg-type]
    return turns
