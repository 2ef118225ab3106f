"""The `rag` command as a user runs it: a real subprocess, a real index in tmp_path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PRISONERS = "How many political prisoners does the Assembly want released?"


def rag(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=check,
        timeout=600,
    )


@pytest.fixture(scope="module")
def indexed_env(tmp_path_factory: pytest.TempPathFactory, seeds_dir) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(
        RAG_DATA_DIR=str(tmp_path_factory.mktemp("cli") / "data"),
        RAG_CORPUS_DIR=str(seeds_dir),
        RAG_LLM_BACKEND="extractive",
    )
    out = rag(env, "ingest", "--quiet")
    assert "5 added" in out.stdout
    return env


@pytest.mark.slow
def test_ingest_twice_embeds_nothing_the_second_time(indexed_env):
    out = rag(indexed_env, "ingest", "--quiet")
    assert "0 added, 0 changed, 0 removed, 5 unchanged" in out.stdout
    assert "0 chunks embedded" in out.stdout


@pytest.mark.slow
def test_ask_json_answers_39_from_the_resolution(indexed_env):
    out = rag(indexed_env, "ask", "--json", PRISONERS)
    a = json.loads(out.stdout)
    assert "39" in a["text"] and not a["abstained"]
    assert a["citations"][0]["source"] == "003_8055ac30947230f7.txt"
    assert "§5" in a["citations"][0]["locator"]


@pytest.mark.slow
def test_ask_prints_numbered_sources_with_locators(indexed_env):
    out = rag(indexed_env, "ask", PRISONERS)
    assert "39" in out.stdout
    assert "Sources:" in out.stdout
    assert "003_8055ac30947230f7.txt, Resolution 2616 (2025), §5" in out.stdout


@pytest.mark.slow
def test_ask_explain_prints_the_route(indexed_env):
    out = rag(indexed_env, "ask", "--explain", PRISONERS)
    route = out.stdout.split("Route:", 1)[1]
    steps = [line.split()[0] for line in route.strip().splitlines()]
    assert steps[:4] == ["condense", "retrieve", "generate", "decide"]
    assert "answered by extractive" in route


def test_stats_json(indexed_env):
    stats = json.loads(rag(indexed_env, "stats", "--json").stdout)
    assert stats["documents"] == 5 and stats["chunks"] > 50
    assert stats["languages"] == ["en", "fr", "it"]
    assert stats["embedding_model"].endswith("all-MiniLM-L6-v2")
    assert stats["data_dir"] == str(Path(indexed_env["RAG_DATA_DIR"]).resolve())


@pytest.mark.parametrize(
    ("args", "env_extra", "needle"),
    [
        (("ask", "   "), {}, "question is empty"),
        (("ingest", "/nonexistent/corpus"), {}, "does not exist"),
        (("stats",), {"RAG_TOP_K": "many"}, "RAG_TOP_K"),
        (("ask", "hi"), {"RAG_CHROMA_URL": "http://127.0.0.1:9"}, "chroma run"),
        # The cross-lingual judge translates with an LLM; extractive has none.
        (("eval", "--judge", "cross-lingual", "--limit", "1"), {}, "--backend llamacpp"),
    ],
)
def test_user_errors_are_one_line_never_a_traceback(indexed_env, args, env_extra, needle):
    out = rag({**indexed_env, **env_extra}, *args, check=False)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert needle in out.stderr
    assert out.stderr.strip().count("\n") == 0, out.stderr


@pytest.mark.slow
def test_eval_runs_on_a_dataset_it_has_never_seen(indexed_env, tmp_path):
    rows = [
        {
            "id": "n1",
            "question": "Who is the Minister of Justice of Kazakhstan?",
            "lang": "en",
            "answerable": True,
            "sources": ["004_9ecce584a641fa78.txt"],
            "facts": [["Sarsembayev"]],
            "reference": "Yerlan Sarsembayev.",
            "evidence": ["Yerlan Sarsembayev is the Minister of Justice of Kazakhstan"],
        },
        {
            "id": "n2",
            "question": "What is the national bird of Kazakhstan?",
            "lang": "en",
            "answerable": False,
            "sources": [],
            "facts": [],
            "reference": "",
            "evidence": [],
        },
    ]
    dataset = tmp_path / "new.jsonl"
    dataset.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "out.json"
    html = tmp_path / "out.html"
    done = rag(
        indexed_env,
        "eval",
        "-q",
        "--dataset",
        str(dataset),
        "--backend",
        "extractive",
        "--json",
        str(out),
        "--html",
        str(html),
    )
    assert "2 questions" in done.stdout
    metrics = json.loads(out.read_text())["metrics"]
    for name in (
        "hit@5",
        "mrr",
        "ndcg@5",
        "citation_precision",
        "citation_recall",
        "grounded",
        "correct",
        "abstention_recall",
    ):
        assert name in metrics
    assert metrics["correct"] == 1.0 and metrics["abstention_recall"] == 1.0
    assert "n1" in html.read_text()
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"\n')
    failed = rag(indexed_env, "eval", "-q", "--dataset", str(bad), check=False)
    assert (
        failed.returncode == 1 and "bad.jsonl" in failed.stderr and "Traceback" not in failed.stderr
    )


@pytest.mark.slow
def test_eval_with_an_llm_cache_asks_the_server_only_once(indexed_env, tmp_path, answer_peer):
    """``--llm-cache``: a second run of the same eval replays every LLM reply."""
    peer = answer_peer()
    env = {**indexed_env, "RAG_LLM_BACKEND": "openai", "RAG_OPENAI_BASE_URL": peer.base_url}
    dataset = tmp_path / "one.jsonl"
    row = {
        "id": "c1",
        "question": "Who is the Minister of Justice?",
        "lang": "en",
        "answerable": True,
        "sources": ["004_9ecce584a641fa78.txt"],
        "facts": [["Sarsembayev"]],
        "reference": "Yerlan Sarsembayev.",
        "evidence": [],
    }
    dataset.write_text(json.dumps(row) + "\n")
    runs = []
    for name in ("first", "second"):
        out = tmp_path / f"{name}.json"
        args = ("eval", "-q", "--dataset", str(dataset), "--judge", "lexical")
        rag(env, *args, "--llm-cache", str(tmp_path / "cache"), "--json", str(out))
        runs.append((json.loads(out.read_text()), len(peer.requests)))
    (first, asked), (second, asked_after) = runs
    assert asked >= 1 and first["llm_cache"] == {"hits": 0, "misses": asked}
    assert asked_after == asked and second["llm_cache"] == {"hits": asked, "misses": 0}
    assert second["questions"][0]["answer"] == first["questions"][0]["answer"]


@pytest.fixture
def empty_env(tmp_path) -> dict[str, str]:
    """An environment whose index was never built: a refused question must not need it."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_DATA_DIR=str(tmp_path / "data"), RAG_CORPUS_DIR=str(tmp_path / "none"))
    return env


@pytest.mark.parametrize(
    ("question", "needle"),
    [
        ("Who signed\x07 the statement?", "control character (U+0007)"),
        ("Who signed \x1b[2J the statement?", "control character (U+001B)"),
        ("How many prisoners " + "and why " * 300 + "?", "RAG_MAX_QUESTION_TOKENS"),
        ("Кто подписал совместное заявление Казахстана и Совета Европы?", "English, French"),
    ],
)
def test_bad_questions_are_one_line_and_a_traceback_only_with_verbose(empty_env, question, needle):
    out = rag(empty_env, "ask", question, check=False)
    assert out.returncode == 1
    assert needle in out.stderr and out.stderr.startswith("error: ")
    assert out.stderr.strip().count("\n") == 0, out.stderr
    assert "\x07" not in out.stderr and "\x1b" not in out.stderr  # nothing echoed raw
    verbose = rag(empty_env, "--verbose", "ask", question, check=False)
    assert verbose.returncode == 1
    assert "Traceback" in verbose.stderr and "QuestionError" in verbose.stderr
    assert verbose.stderr.strip().splitlines()[-1] == out.stderr.strip()
