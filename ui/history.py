"""The conversation as the browser keeps it: a JSON list of turns, one per question.

A turn is ``{"question": str, "answer": Answer.to_dict() | None, "error": str | None,
"translations": {passage position: {lang: text}}}`` (``ui/translations.py``).
The chat bubbles and the sources panel are rendered from it (so a page reload shows
the same chat), and follow-ups get the plain answer text from it, never the HTML:

    >>> model_history([{"question": "Who?", "answer": {"text": "Ana [1].", "abstained": False}}])
    [{'role': 'user', 'content': 'Who?'}, {'role': 'assistant', 'content': 'Ana.'}]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from rag.types import Answer, Citation, Passage
from ui.render import answer_html, error_html, plain_text, question_html, sources_panel

__all__ = [
    "MAX_TURNS",
    "answer_from_dict",
    "answers",
    "chat_messages",
    "model_history",
    "panel",
]

#: Turns kept in the browser (older ones drop off): localStorage holds a few MB.
MAX_TURNS = 50

Turn = dict[str, Any]


def _build(cls: type, data: dict[str, Any]) -> Any:
    """``cls`` from its JSON dict: unknown keys dropped, lists back to tuples (JSON has none)."""
    names = {f.name for f in fields(cls)}
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names})


def answer_from_dict(data: dict[str, Any]) -> Answer:
    """The inverse of ``Answer.to_dict()``; unknown keys (a newer version's) are ignored.

    Raises:
        TypeError: ``question``, ``text`` or ``abstained`` is missing.
    """
    values = {k: v for k, v in data.items() if k in {f.name for f in fields(Answer)}}
    values["citations"] = [_build(Citation, c) for c in data.get("citations", [])]
    values["passages"] = [_build(Passage, p) for p in data.get("passages", [])]
    return Answer(**values)


def answers(turns: Sequence[Turn]) -> list[tuple[int, Answer]]:
    """(turn number, Answer) for each turn that has an answer."""
    out = []
    for i, t in enumerate(turns):
        if t.get("answer"):
            try:
                out.append((i, answer_from_dict(t["answer"])))
            except (TypeError, ValueError):  # a stored turn this version cannot read
                continue
    return out


def chat_messages(turns: Sequence[Turn]) -> list[dict[str, str]]:
    """Two messages per turn (question, answer), as the Chatbot shows them."""
    rendered = dict(answers(turns))
    messages = []
    for i, t in enumerate(turns):
        messages.append({"role": "user", "content": question_html(str(t.get("question", "")))})
        if i in rendered:
            bubble = answer_html(rendered[i], i)
        else:
            bubble = error_html(str(t.get("error") or "No answer."))
        messages.append({"role": "assistant", "content": bubble})
    return messages


def model_history(turns: Sequence[Turn]) -> list[dict[str, str]]:
    """What a follow-up sends as history: questions and plain answer texts."""
    history = []
    for t in turns:
        a = t.get("answer")
        if not a:
            continue
        history.append({"role": "user", "content": str(t.get("question", ""))})
        # Without markers: their numbers point into that answer's passages, not the next.
        history.append({"role": "assistant", "content": plain_text(str(a.get("text", "")))})
    return history


def panel(turns: Sequence[Turn]) -> str:
    """The sources panel for these turns (the last answer's sources shown)."""
    found = {i: t.get("translations") or {} for i, t in enumerate(turns)}
    return sources_panel(answers(turns), found)
