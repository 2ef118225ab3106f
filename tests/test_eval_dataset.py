"""The shipped question set: schema, coverage, and that its quotes and facts are real.

Evidence quotes must be verbatim spans of their source files (whitespace collapsed, case
ignored), so passage-level retrieval scores mean something; every fact group must be
satisfiable, which we check against the reference answer.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from rag.eval_metrics import contains, fact_matches
from rag.evaluation import load_dataset

ROOT = Path(__file__).resolve().parents[1]
DATASET = ROOT / "eval" / "dev.jsonl"
SEEDS = ROOT / "seeds"
KEYS = {"id", "question", "lang", "answerable", "sources", "facts", "reference", "evidence"}


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return [json.loads(line) for line in DATASET.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def seed_texts() -> dict[str, str]:
    return {p.name: collapse(p.read_text(encoding="utf-8")) for p in SEEDS.iterdir()}


def test_schema(rows):
    for row in rows:
        assert KEYS <= set(row) <= KEYS | {"history"}, row["id"]
        assert isinstance(row["answerable"], bool) and row["question"].strip()
        assert row["lang"] in {"en", "fr", "it"}
        assert row["reference"].strip(), row["id"]
        for turn in row.get("history", []):
            assert turn["role"] in {"user", "assistant"} and turn["content"].strip()
        if row["answerable"]:
            assert row["sources"] and row["facts"] and row["evidence"], row["id"]
        else:
            assert row["sources"] == [] and row["facts"] == [] and row["evidence"] == []
    assert len(load_dataset(DATASET)) == len(rows)  # the harness accepts it


def test_size_and_coverage(rows, seed_texts):
    assert len(rows) >= 60
    assert len({r["id"] for r in rows}) == len(rows)
    langs = Counter(r["lang"] for r in rows)
    assert langs["fr"] + langs["it"] >= 8 and langs["fr"] >= 3 and langs["it"] >= 3
    assert sum(not r["answerable"] for r in rows) >= 8
    assert sum("history" in r for r in rows) >= 4
    assert {s for r in rows for s in r["sources"]} == set(seed_texts)
    assert sum(len(r["sources"]) >= 2 for r in rows) >= 3  # questions across documents
    cross_lingual = [
        r for r in rows if r["lang"] != "en" and "003_8055ac30947230f7.txt" not in r["sources"]
    ]
    assert len(cross_lingual) >= 3


def test_evidence_quotes_are_verbatim(rows, seed_texts):
    for row in rows:
        for quote in row["evidence"]:
            assert 4 <= len(quote.split()) <= 30, (row["id"], quote)
            assert any(collapse(quote) in seed_texts[s] for s in row["sources"]), (
                row["id"],
                quote,
            )


def test_every_source_has_evidence(rows, seed_texts):
    for row in rows:
        for source in row["sources"]:
            assert any(collapse(q) in seed_texts[source] for q in row["evidence"]), (
                row["id"],
                source,
            )


def test_facts_are_short_and_found_in_the_reference(rows):
    for row in rows:
        for group in row["facts"]:
            assert all(0 < len(alt.split()) <= 8 for alt in group), (row["id"], group)
        assert all(fact_matches(row["reference"], row["facts"])), row["id"]


def test_an_oracle_over_the_real_chunks_scores_perfectly_and_a_wrong_one_does_not():
    """Every evidence quote survives loading and chunking, so passage-level retrieval
    metrics can reach 1.0; passages without the evidence score 0."""
    from rag.chunking import chunk_document
    from rag.evaluation import run_eval
    from rag.ingest.loaders import load_document
    from rag.types import Answer, Passage

    items = load_dataset(DATASET)
    chunks = [c for p in sorted(SEEDS.iterdir()) for c in chunk_document(load_document(p, SEEDS))]
    by_question = {i.question: i for i in items}

    def passages_for(quotes: tuple[str, ...], want: bool) -> list[Passage]:
        hits = [c for c in chunks if any(contains(c.text, q) for q in quotes) == want]
        return [Passage(c.id, c.source, c.text, 1.0, c.lang) for c in hits][:3]

    def oracle(question, history):
        item = by_question[question]
        if not item.answerable:
            return Answer(question, "The documents don't say.", abstained=True)
        return Answer(question, item.reference, False, passages=passages_for(item.evidence, True))

    def wrong(question, history):
        item = by_question[question]
        return Answer(question, "No idea.", False, passages=passages_for(item.evidence, False))

    good = run_eval(items, answer_fn=oracle, progress=False)["metrics"]
    for name in ("hit@5", "mrr", "ndcg@5", "recall@5", "source_hit@5", "evidence_in_context"):
        assert good[name] == 1.0, name
    assert good["correct"] == 1.0 and good["abstention_recall"] == 1.0
    assert good["false_abstention_rate"] == 0.0 and good["abstention_precision"] == 1.0

    bad = run_eval(items, answer_fn=wrong, progress=False)["metrics"]
    assert bad["hit@5"] == 0.0 and bad["recall@5"] == 0.0 and bad["correct"] == 0.0
    assert bad["abstention_recall"] == 0.0 and bad["citation_recall"] == 0.0
