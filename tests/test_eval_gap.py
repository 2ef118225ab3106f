"""The generalization gap and the report that shows it, on results written by hand."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rag.errors import ConfigError
from rag.eval.gap import gap_text, generalization_gaps
from rag.eval.gate import check_thresholds, thresholds_for
from rag.eval.report import write_html, write_json


def result(backend: str, label: str, split: str, **metrics: float) -> dict:
    question = {
        "id": f"{label}1",
        "lang": "en",
        "question": "When?",
        "answer": "In 1871 [1].",
        "abstained": False,
        "backend": "extractive",  # the fallback wrote it, whatever the run's backend
        "trace": [{"step": "retrieve"}, {"step": "fallback", "reason": "no support"}],
        "citations": [],
        "verdicts": {"correct": True, "abstention": "answered"},
        "latency_ms": 10.0,
    }
    return {
        "backend": backend,
        "label": label,
        "split": split,
        "dataset": f"eval/{split}.jsonl",
        "n": 1,
        "k": 5,
        "metrics": metrics,
        "by_lang": {},
        "by_source": {},
        "questions": [question],
    }


RESULTS = [
    result("extractive", "dev", "dev", correct=0.7, false_abstention_rate=0.1),
    result("extractive", "test", "test", correct=0.6, false_abstention_rate=0.2),
    result("extractive", "bay", "test", correct=0.45, false_abstention_rate=0.5),
    result("llamacpp", "dev", "dev", correct=0.9, paraphrase_consistency=0.8),
    result("llamacpp", "test", "test", correct=0.675, paraphrase_consistency=0.5),
]


def test_gaps_per_backend_and_metric():
    gaps = {g["backend"]: g for g in generalization_gaps(RESULTS)}
    ext = {r["metric"]: r for r in gaps["extractive"]["rows"]}
    assert gaps["extractive"]["corpora"] == ["bay"]
    assert ext["correct"]["dev_minus_test"] == pytest.approx(0.1)
    assert ext["correct"]["corpora"]["bay"]["test_minus_corpus"] == pytest.approx(0.15)
    assert ext["false_abstention_rate"]["dev_minus_test"] == pytest.approx(-0.1)
    assert ext["paraphrase_consistency"]["dev_minus_test"] is None  # not measured
    llm = {r["metric"]: r for r in gaps["llamacpp"]["rows"]}
    assert llm["correct"]["dev_minus_test"] == pytest.approx(0.225)
    assert llm["paraphrase_consistency"]["dev_minus_test"] == pytest.approx(0.3)
    assert gaps["llamacpp"]["corpora"] == []  # its second-corpus run is not there


def test_gap_text_is_a_table_per_backend_and_metric():
    lines = gap_text(RESULTS).splitlines()
    assert lines[1].split() == ["backend", "metric", "dev", "test", "dev-test", "bay", "test-bay"]
    row = next(line for line in lines if line.startswith("extractive  correct"))
    assert row.split() == ["extractive", "correct", "0.700", "0.600", "+0.100", "0.450", "+0.150"]
    row = next(line for line in lines if line.startswith("llamacpp    correct"))
    assert row.split() == ["llamacpp", "correct", "0.900", "0.675", "+0.225", "-", "-"]


def test_the_report_shows_the_gap_and_who_answered(tmp_path):
    page = write_html(RESULTS, tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<h2>Generalization gap</h2>" in page and "+0.225" in page
    assert "<th>backend</th><th>run</th><th>dataset</th><th>corpus</th>" in page
    # the llamacpp run's question answered by the extractive fallback says so
    row = page[page.index("id='llamacpp-test-test1'") :].split("</tr>")[0]
    assert "<td>extractive</td>" in row and "retrieve → fallback" in row
    assert "Questions: extractive bay" in page


def test_rag_eval_from_prints_the_gap_and_writes_the_report(tmp_path):
    paths = [write_json(r, tmp_path / f"{r['label']}-{r['backend']}.json") for r in RESULTS]
    html = tmp_path / "report.html"
    done = subprocess.run(
        [sys.executable, "-m", "rag.cli", "eval", "--from", *map(str, paths), "--html", str(html)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "generalization gap" in done.stdout and "+0.150" in done.stdout
    assert "Generalization gap" in html.read_text(encoding="utf-8")


def test_thresholds_per_dataset_and_backend():
    config = {
        "_comment": "x",
        "test": {"extractive": {"correct": 0.65, "uncited_answers<=": 0}},
        "bay": {"extractive": {"correct": 0.4}},
    }
    block = thresholds_for(config, "test", "extractive")
    assert check_thresholds(
        RESULTS[1] | {"metrics": {"correct": 0.6, "uncited_answers": 2}}, block
    ) == [
        "correct = 0.60 < 0.65",
        "uncited_answers = 2 > 0 (maximum)",
    ]
    assert thresholds_for(config, "bay", "extractive") == {"correct": 0.4}
    with pytest.raises(ConfigError, match="no block for dataset 'test' and backend 'llamacpp'"):
        thresholds_for(config, "test", "llamacpp")
    with pytest.raises(ConfigError, match="'dev'"):
        thresholds_for(config, "dev", "extractive")
    assert thresholds_for({"correct": 0.5, "_comment": "flat"}, "any", "any") == {"correct": 0.5}
    assert json.dumps(block)
