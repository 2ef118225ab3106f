"""The OpenAI API key never leaves the Authorization header (#15 item 8).

A small real flow runs with a distinctive key set through the RAG settings, against a
real OpenAI-compatible server that demands the key and, when it fails, echoes the
request's Authorization header in its error body (some servers do): answers, the chat's
turn and its feedback, failures, ``rag ask`` and ``rag eval`` (JSON and HTML reports) in
subprocesses with ``-v``. Then every file written under the test's folder, the captured
stdout/stderr of this process and the subprocesses, every log record (DEBUG, all
loggers, httpx included), the answers' traces and the errors (with their chained causes)
are searched for the key, or its random part alone.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import sys
import traceback
from pathlib import Path

import pytest
from gradio_app import chat_turn, client, served

from rag.answer import answer
from rag.config import Settings
from rag.errors import BackendError
from ui.feedback import FEEDBACK_FILE, rate

ROOT = Path(__file__).resolve().parent.parent

DOCS = {
    "bridge.txt": "The Vellmar bridge opened in 1932 after four years of work. "
    "It crosses the Ostra river in three spans.\n",
    "tower.txt": "The Kessling tower is 211 metres tall. It was finished in 1977 and "
    "repainted in 2004.\n",
}
DATASET = [
    {
        "id": "s1",
        "question": "When did the Vellmar bridge open?",
        "lang": "en",
        "answerable": True,
        "sources": ["bridge.txt"],
        "facts": [["1932"]],
        "reference": "It opened in 1932.",
        "evidence": ["The Vellmar bridge opened in 1932"],
    },
    {
        "id": "s2",
        "question": "How tall is the Kessling tower?",
        "lang": "en",
        "answerable": True,
        "sources": ["tower.txt"],
        "facts": [["211 metres"]],
        "reference": "It is 211 metres tall.",
        "evidence": ["The Kessling tower is 211 metres tall."],
    },
]


def leaks(key: str, text: str | bytes) -> bool:
    """Whether ``text`` holds the key or its random part (a partial mask still leaks)."""
    tail = key.rsplit("-", 1)[-1]
    if isinstance(text, bytes):
        return key.encode() in text or tail.encode() in text
    return key in text or tail in text


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", "-v", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_the_api_key_is_in_no_log_error_trace_report_or_feedback(
    tmp_path, answer_peer, caplog, capfd
):
    key = f"sk-test-SECRET-{secrets.token_hex(12)}"
    peer = answer_peer(api_key=key)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    env_vars = {
        "RAG_DATA_DIR": str(tmp_path / "data"),
        "RAG_CORPUS_DIR": str(corpus),
        "RAG_LLM_BACKEND": "openai",
        "RAG_OPENAI_BASE_URL": peer.base_url,
        "RAG_OPENAI_API_KEY": key,
        "RAG_REQUEST_TIMEOUT": "30",
    }
    settings = Settings.from_env(env_vars)
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    seen: list[str] = []  # everything a user or a log could be shown, besides files

    # Answers through the openai backend, with the key demanded by the server.
    a = answer("When did the Vellmar bridge open?", settings=settings)
    assert a.citations and "1932" in a.text and peer.requests[-1]["auth"] == f"Bearer {key}"
    seen += [json.dumps(a.to_dict()), repr(settings), str(a)]

    # The chat: a turn, then its feedback entry.
    with served(settings) as url:
        turn = chat_turn(client(url), "How tall is the Kessling tower?", backend="openai")
    assert turn.store["turns"][0]["answer"]["citations"], turn.store
    assert rate(settings, turn.store["turns"], 1, liked=True).startswith("Thanks")
    assert (settings.data_dir / FEEDBACK_FILE).is_file()
    seen += [json.dumps(turn.store), json.dumps(turn.chat)]

    # Failures whose bodies echo the Authorization header, and a wrong key.
    for mode in ("500", "401"):
        peer.mode = mode
        with pytest.raises(BackendError) as err:
            answer("When did the Vellmar bridge open?", settings=settings)
        seen += [str(err.value), repr(err.value), "".join(traceback.format_exception(err.value))]
    peer.mode = "answer"
    with pytest.raises(BackendError) as err:
        answer("When did the Vellmar bridge open?", settings=settings.replace(openai_api_key="x"))
    assert "refused the API key" in str(err.value)

    # The command line: an answer, an eval with its reports, an error; verbose logging.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_"))}
    env.update(env_vars, PYTHONPATH=str(ROOT))
    dataset = tmp_path / "two.jsonl"
    dataset.write_text("".join(json.dumps(item) + "\n" for item in DATASET), encoding="utf-8")
    reports = ["--json", str(tmp_path / "eval.json"), "--html", str(tmp_path / "eval.html")]
    evaluate = ["eval", "--dataset", str(dataset), "--corpus", str(corpus), *reports]
    runs = [
        run_cli(["ask", "--json", "How tall is the Kessling tower?"], env, tmp_path),
        run_cli([*evaluate, "--backend", "openai"], env, tmp_path),
    ]
    peer.mode = "500"
    runs.append(run_cli(["ask", "When did the Vellmar bridge open?"], env, tmp_path))
    assert [r.returncode for r in runs] == [0, 0, 1], [r.stderr[-2000:] for r in runs]
    assert json.loads(runs[0].stdout)["citations"]
    assert "HTTP 500" in runs[2].stderr and "Traceback" in runs[2].stderr  # -v: the whole story
    seen += [r.stdout + r.stderr for r in runs]

    # Where the key must not be.
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {"eval.json", "eval.html", FEEDBACK_FILE} <= {p.name for p in written}
    assert [p for p in written if leaks(key, p.read_bytes())] == []
    records = [r.getMessage() + (r.exc_text or "") for r in caplog.records]
    assert len(records) > 10  # the logs did record the flow
    assert [r for r in records if leaks(key, r)] == []
    out, err_text = capfd.readouterr()
    assert not leaks(key, out) and not leaks(key, err_text)
    assert [s for s in seen if leaks(key, s)] == []
    # The server did get it, every time: the search above would have found a copy.
    assert all(r["auth"] == f"Bearer {key}" for r in peer.requests if r["auth"] != "Bearer x")
