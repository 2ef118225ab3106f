"""The chat UI: Gradio only, and the only place gradio is imported. It formats an
``Answer`` (``ui/render.py``); it never re-implements retrieval or citation logic.

    python -m ui.app            # or: rag serve --port 7860

Stable hooks for tests: ``#chat``, ``#q`` (question box), ``.cite`` (chips), ``#sources``,
``#upload``, ``#clear``, ``#comment``, ``#docs``, ``#facts``. API: ``/ask`` (the Answer as
a dict) and ``/upload`` (files -> what was indexed); ``/chat`` (undocumented) is the chat's
own turn: (question, {"turns": [...]}, backend, top_k) -> (chat, sources, store, box, stop).

Up to ``RAG_UI_CONCURRENCY`` answers run at once (more wait in Gradio's queue); with the
local model they take turns at it, and an answer waiting its turn says so in its bubble.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rag.answer import answer
from rag.config import BACKENDS, Settings
from rag.errors import RAGError
from rag.types import Answer
from ui.answering import WAITING, ModelWait, live_answer
from ui.assets import CSS, JS
from ui.feedback import rate
from ui.history import MAX_TURNS, chat_messages, model_history, panel
from ui.render import question_html, streaming_html, waiting_html
from ui.translations import translations
from ui.upload import MAX_BYTES, add_files, documents, index_facts, remove_document

__all__ = ["EXAMPLES", "build_app", "launch"]

log = logging.getLogger(__name__)

TITLE = "Ask your documents"
#: One per language; each answered by the default (extractive) backend over seeds/.
EXAMPLES = [
    "How many political prisoners does the Assembly want released?",
    "Who led the delegation of Kazakhstani parliamentarians at the CIS Interparliamentary "
    "Assembly event?",
    "In which year did Kazakhstan abolish the death penalty?",
    "Combien de fois le ministère de la Justice a-t-il refusé d'enregistrer le parti "
    "« Alga Kazakhstan » ?",
    "Quanti prigionieri politici l'Assemblea chiede al Kazakistan di rilasciare?",
]
BACKEND_LABELS = {
    "auto": "auto (local model when installed, else extractive)",
    "extractive": "extractive (instant, quotes the sources)",
    "llamacpp": "local model (llama.cpp)",
    "openai": "OpenAI-compatible server",
}
UPLOAD_TYPES = [".txt", ".md", ".json", ".html", ".htm", ".pdf"]

Store = dict[str, Any]  # the BrowserState value: {"turns": [...]}


def _secret(settings: Settings) -> str:
    """The key the browser's copy of the chat is encrypted with, kept in the data folder
    so a restarted server can still read the chats browsers hold."""
    path = Path(settings.data_dir) / "ui-secret"
    try:
        return path.read_text().strip()
    except OSError:
        value = secrets.token_urlsafe(24)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(value)
            path.chmod(0o600)
        except OSError:
            log.warning("cannot keep the UI secret in %s: chats last until restart", path)
        return value


def _storage_key(settings: Settings) -> str:
    """One browser key per index, so a chat about one corpus never reappears over another
    served on the same address."""
    where = settings.chroma_url or str(Path(settings.data_dir).resolve())
    digest = hashlib.sha1(f"{where}|{settings.collection}".encode(), usedforsecurity=False)
    return "rag-chat-" + digest.hexdigest()[:10]


def _turns(store: Store | None) -> list[dict[str, Any]]:
    return list((store or {}).get("turns") or [])


def _facts_md(settings: Settings) -> str:
    try:
        f = index_facts(settings)
    except RAGError as exc:
        return f"⚠️ {exc}"
    langs = ", ".join(f["languages"]) or "none"  # type: ignore[arg-type]
    return (
        f"**Index**: {f['documents']} documents, {f['chunks']} chunks; languages {langs}; "
        f"embedding model `{f['embedding_model']}`."
    )


def build_app(settings: Settings | None = None) -> Any:
    """The Gradio Blocks app (not launched; ``launch`` adds its CSS and script)."""
    import gradio as gr

    base = settings or Settings.from_env()
    progress_bar = gr.Progress()  # Gradio injects progress through this default

    def session_settings(backend: str, top_k: float) -> Settings:
        return base.replace(llm_backend=backend or base.llm_backend, top_k=int(top_k or 5))

    def respond(
        question: str, store: Store, backend: str, top_k: float
    ) -> Iterator[tuple[Any, ...]]:
        turns = _turns(store)
        question = (question or "").strip()
        if not question:
            gr.Warning("Type a question about your documents first.")
            return
        shown = [
            *chat_messages(turns),
            {"role": "user", "content": question_html(question)},
            {"role": "assistant", "content": streaming_html("")},
        ]
        # Stop turns on only now: a Stop pressed before this event runs would cancel nothing.
        yield shown, gr.skip(), gr.skip(), "", gr.update(interactive=True)
        turn: dict[str, Any]
        try:
            s = session_settings(backend, top_k)
            from rag.llm.base import get_backend

            # One backend instance per backend choice, whatever the top-k.
            llm = get_backend(base.replace(llm_backend=s.llm_backend))
            partial, waiting = "", False
            final: Answer | None = None
            for item in live_answer(question, model_history(turns), settings=s, backend=llm):
                if isinstance(item, Answer):
                    final = item
                    continue
                if isinstance(item, ModelWait):
                    waiting = item.waiting
                else:
                    partial += item
                html = waiting_html(partial, WAITING) if waiting else streaming_html(partial)
                shown[-1] = {"role": "assistant", "content": html}
                yield shown, gr.skip(), gr.skip(), gr.skip(), gr.skip()
            assert final is not None
            turn = {
                "question": question,
                "answer": final.to_dict(),
                "error": None,
                "translations": translations(final, base.corpus_dir),
            }
        except RAGError as exc:
            turn = {"question": question, "answer": None, "error": str(exc)}
        turns = [*turns, turn][-MAX_TURNS:]
        yield chat_messages(turns), panel(turns), {"turns": turns}, gr.skip(), gr.skip()

    def restore(store: Store) -> tuple[Any, Any]:
        turns = _turns(store)
        return chat_messages(turns), panel(turns)

    def clear() -> tuple[Any, Any, Any]:
        return [], panel([]), {"turns": []}

    def feedback(data: gr.LikeData, store: Store, comment: str) -> tuple[Any, Any]:
        index = data.index if isinstance(data.index, int) else data.index[0]
        liked = data.liked if isinstance(data.liked, bool) else None
        said = rate(base, _turns(store), index, liked=liked, comment=comment or "")
        return said, ("" if said.startswith("Thanks") else gr.skip())

    # Gradio finds the event data by its type; postponed annotations are only strings.
    feedback.__annotations__["data"] = gr.LikeData

    def index_views() -> tuple[Any, Any, Any]:
        """The documents table, the index facts and the remove choices, fresh."""
        try:
            rows = documents(base)
        except RAGError as exc:
            return [], f"⚠️ {exc}", gr.skip()
        choices = gr.update(choices=[row[1] for row in rows], value=None)
        return rows, _facts_md(base), choices

    def upload_files(files: Sequence[str] | None, progress: Any = progress_bar) -> tuple[Any, ...]:
        progress(0.1, desc="Checking the files…")
        try:
            report = add_files(
                [(Path(p), _original_name(p)) for p in files or []],
                base,
                progress=lambda x, msg: progress(x, desc=msg),
            )
            message = report.message()
        except RAGError as exc:
            message = f"⚠️ {exc}"
        return (message, None, *index_views())

    def remove(source: str) -> tuple[Any, ...]:
        try:
            message = remove_document(source, base)
        except RAGError as exc:
            message = f"⚠️ {exc}"
        return (message, *index_views())

    def ask(question: str) -> dict[str, Any]:
        """API: the whole Answer as a dict, or {"error": message}."""
        try:
            return answer(question, settings=base).to_dict()
        except RAGError as exc:
            return {"error": str(exc)}

    def upload_api(files: list[Any] | None) -> dict[str, Any]:
        """API: index the given files; {"added": [...], "refused": [[name, reason]], ...}."""
        try:
            report = add_files([(Path(p), _original_name(p)) for p in files or []], base)
        except RAGError as exc:
            return {"error": str(exc)}
        return {"added": report.added, "refused": report.refused, "message": report.message()}

    with gr.Blocks(title=TITLE) as demo:
        store = gr.BrowserState({"turns": []}, storage_key=_storage_key(base), secret=_secret(base))
        gr.Markdown(
            f"## {TITLE}\nAnswers come only from the indexed documents; each claim has a "
            "numbered source: click it to read the passage. When the documents don't say, "
            "neither does the assistant."
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chat = gr.Chatbot(
                    elem_id="chat",
                    height=540,
                    show_label=False,
                    group_consecutive_messages=False,
                    buttons=[],  # its copy buttons would copy the bubble's HTML source
                )
                with gr.Row():
                    q = gr.Textbox(
                        elem_id="q",
                        placeholder="Ask a question about your documents…",
                        show_label=False,
                        lines=1,
                        max_lines=5,
                        scale=8,
                        autofocus=True,
                    )
                    send = gr.Button("Send", elem_id="send", variant="primary", scale=1)
                    stop = gr.Button(
                        "Stop", elem_id="stop", variant="secondary", scale=1, interactive=False
                    )
                gr.Examples([[e] for e in EXAMPLES], inputs=[q], label="Example questions")
                with gr.Row():
                    comment = gr.Textbox(
                        elem_id="comment",
                        label="Comment with your rating (optional)",
                        placeholder="What was right or wrong? Sent when you click like or dislike.",
                        scale=4,
                    )
                    clear_btn = gr.Button("Clear chat", elem_id="clear", scale=1)
                notice = gr.Markdown(elem_id="notice")
            with gr.Column(scale=2):
                sources = gr.HTML(panel([]), elem_id="sources", label="Sources", max_height=680)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                gr.Markdown("### Documents")
                files_in = gr.File(
                    label="Add documents (.txt .md .json .html .pdf, up to 20 MB each)",
                    file_count="multiple",
                    file_types=UPLOAD_TYPES,
                    elem_id="upload",
                    height=120,
                )
                upload_msg = gr.Markdown(elem_id="upload-status")
                docs = gr.Dataframe(
                    headers=["Title", "File", "Languages", "Chunks"],
                    elem_id="docs",
                    interactive=False,
                    wrap=True,
                    column_widths=["46%", "34%", "10%", "10%"],
                )
                with gr.Row():
                    doc_pick = gr.Dropdown(
                        label="Document to remove", choices=[], scale=3, elem_id="doc-pick"
                    )
                    remove_btn = gr.Button("Remove", elem_id="remove", scale=1)
            with gr.Column(scale=2):
                gr.Markdown("### Settings (this session)")
                backend = gr.Dropdown(
                    [(BACKEND_LABELS.get(b, b), b) for b in BACKENDS],
                    value=base.llm_backend,
                    label="Backend",
                    elem_id="backend",
                )
                top_k = gr.Slider(
                    1, 10, value=base.top_k, step=1, label="Passages (top-k)", elem_id="topk"
                )
                facts = gr.Markdown(elem_id="facts")

        ask_inputs = [q, store, backend, top_k]
        ask_outputs = [chat, sources, store, q, stop]
        # Send is off while an answer streams, Stop on once it runs (respond turns it on).
        busy, idle = (gr.update(interactive=False), gr.update(interactive=True))
        running: list[Any] = []
        for trigger, api in ((send.click, "chat"), (q.submit, None)):
            ev = trigger(lambda: busy, None, [send], queue=False, api_visibility="private")
            # Scripts and tests drive the chat through /chat (Send's turn); Enter's is private.
            named: dict[str, Any] = (
                {"api_name": api, "api_visibility": "undocumented"}
                if api
                else {"api_visibility": "private"}
            )
            ev = ev.then(respond, ask_inputs, ask_outputs, **named)
            running.append(ev)
            ev.then(lambda: (idle, busy), None, [send, stop], api_visibility="private")
        # A stopped answer is not kept: the chat shows what the browser keeps.
        stop.click(lambda store: (*restore(store), idle, busy), [store],
                   [chat, sources, send, stop], cancels=running,
                   api_visibility="private")  # fmt: skip
        clear_btn.click(clear, None, [chat, sources, store], api_visibility="private")
        # The chat's own trash button too: else a reload would bring the chat back.
        chat.clear(clear, None, [chat, sources, store], api_visibility="private")
        chat.like(feedback, [store, comment], [notice, comment], api_visibility="private")
        files_in.upload(
            upload_files, [files_in], [upload_msg, files_in, docs, facts, doc_pick],
            api_visibility="private",
        )  # fmt: skip
        remove_btn.click(remove, [doc_pick], [upload_msg, docs, facts, doc_pick],
                         api_visibility="private")  # fmt: skip
        demo.load(restore, [store], [chat, sources], api_visibility="private")
        demo.load(index_views, None, [docs, facts, doc_pick], api_visibility="private")

        gr.api(ask, api_name="ask")
        api_files = gr.File(file_count="multiple", visible=False)
        api_result = gr.JSON(visible=False)
        api_btn = gr.Button(visible=False)
        api_btn.click(upload_api, [api_files], [api_result], api_name="upload")
    # Several sessions answered at once (Gradio's default is one event at a time).
    demo.queue(default_concurrency_limit=base.ui_concurrency)
    return demo


def _original_name(path: Any) -> str:
    """The name the user gave: Gradio keeps it as the last part of the temporary path."""
    return Path(str(path)).name


def launch(settings: Settings | None = None, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Serve the UI on ``host:port`` (never shared publicly)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    settings = settings or Settings.from_env()
    from rag.answer import ensure_index

    ensure_index(settings)  # index before the first question, not during it
    build_app(settings).launch(
        server_name=host,
        server_port=port,
        share=False,
        css=CSS,
        js=JS,
        max_file_size=MAX_BYTES,  # refused before it fills the disk; add_files says why
    )


if __name__ == "__main__":
    launch()
