"""Feedback lines: everything needed to study the answer, never the API key."""

from __future__ import annotations

import json

from rag.config import Settings
from rag.types import Answer, Citation
from ui.feedback import record_feedback

KEY = "sk-secret-123"


def test_feedback_is_appended_as_json_lines_without_the_key(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", openai_api_key=KEY)
    a = Answer(
        question="How many?",
        text="39 [1].",
        abstained=False,
        citations=[Citation(1, "a.txt", "c1", quote="39")],
        backend="openai",
        timings={"total": 12.0},
        # A key that reached the trace (an error message quoting it) is still blanked.
        trace=[{"step": "generate", "error": f"401 for key {KEY}"}],
    )
    path = record_feedback(settings, a.to_dict(), liked=True, comment=" good ")
    record_feedback(settings, a.to_dict(), liked=None)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert path == tmp_path / "data" / "feedback.jsonl" and len(lines) == 2
    first = json.loads(lines[0])
    assert first["liked"] is True and first["comment"] == "good"
    assert first["question"] == "How many?" and first["answer"] == "39 [1]."
    assert first["citations"][0]["source"] == "a.txt"
    assert first["backend"] == "openai" and first["timings"] == {"total": 12.0}
    assert first["trace"][0]["step"] == "generate"
    assert KEY not in path.read_text(encoding="utf-8")
    assert json.loads(lines[1])["liked"] is None
