"""The chat UI: Gradio only, and the only place gradio is imported. It formats an
``Answer``; it never re-implements retrieval or citation logic.

    python -m ui.app            # or: rag serve --port 7860
"""

from __future__ import annotations

import html
import logging
import os
from collections.abc import Iterator
from typing import Any

from rag.answer import answer, stream_answer
from rag.config import Settings
from rag.errors import RAGError
from rag.types import Answer

__all__ = ["build_app", "format_answer", "launch"]

log = logging.getLogger(__name__)

TITLE = "Ask your documents"


def format_answer(a: Answer) -> str:
    """Markdown for one answer: the text, then its numbered, verified sources."""
    lines = [a.text]
    if a.citations:
        lines.append("\n**Sources**")
        for c in a.citations:
            where = f" — {html.escape(c.locator)}" if c.locator else ""
            quote = html.escape(" ".join(c.quote.split())[:300])
            lines.append(
                f"<details><summary>[{c.n}] {html.escape(c.source)}{where}</summary>"
                f"\n\n> {quote}\n\n</details>"
            )
    elif a.abstained and a.passages:
        closest = a.passages[0]
        lines.append(
            f"\n<sub>Closest passage: {html.escape(closest.source)}"
            f"{', ' + html.escape(closest.locator) if closest.locator else ''}</sub>"
        )
    return "\n".join(lines)


def build_app(settings: Settings | None = None) -> Any:
    """The Gradio Blocks app (not launched)."""
    import gradio as gr

    settings = settings or Settings.from_env()

    def respond(message: str, history: list[dict[str, Any]]) -> Iterator[str]:
        partial = ""
        try:
            for item in stream_answer(message, history, settings=settings):
                if isinstance(item, Answer):
                    yield format_answer(item)
                else:
                    partial += item
                    yield partial
        except RAGError as exc:
            yield f"⚠️ {exc}"

    def ask(question: str) -> dict[str, Any]:
        """API: the whole Answer as a dict, or {"error": message}."""
        try:
            return answer(question, settings=settings).to_dict()
        except RAGError as exc:
            return {"error": str(exc)}

    with gr.Blocks(title=TITLE) as demo:
        gr.ChatInterface(
            respond,
            title=TITLE,
            description="Answers come only from the indexed documents, with numbered sources. "
            "When the documents don't say, neither does the assistant.",
            chatbot=gr.Chatbot(height=520, elem_id="chat"),
            textbox=gr.Textbox(placeholder="Ask a question about your documents…", elem_id="q"),
        )
        gr.api(ask, api_name="ask")
    return demo


def launch(settings: Settings | None = None, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Serve the UI on ``host:port`` (never shared publicly)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    settings = settings or Settings.from_env()
    from rag.answer import ensure_index

    ensure_index(settings)  # index before the first question, not during it
    build_app(settings).queue().launch(server_name=host, server_port=port, share=False)


if __name__ == "__main__":
    launch()
