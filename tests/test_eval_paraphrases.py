"""Paraphrase rows: parsed and validated, grouped with their original, scored as groups.

A tiny dataset written for these tests, answered by a fake whose answers are built by
hand (the thing under test is the grouping and the counting, not the pipeline):

    group o1: o1 right, o1a (acronym) right, o1b (language, fr) wrong  -> inconsistent
    group o2: o2 right, o2a (context) right                            -> consistent
    o3: a wrong answer nobody rewords (no group), which cites nothing
    group o4: o4 not run (as with --limit), o4a (shape) and o4b (acronym) right -> consistent
    u1 and u1a: unanswerable, never a paraphrase group
"""

from __future__ import annotations

import json

import pytest

from rag.errors import DatasetError
from rag.eval import load_dataset, paraphrase_consistency, run_eval
from rag.types import Answer, Citation, Passage

SRC = "003_8055ac30947230f7.txt"
FACT = {"facts": [["39"]], "sources": [SRC], "evidence": ["releasing 39 political prisoners"]}


def row(qid: str, question: str, *, lang: str = "en", of: str = "", how: str = "", **kw):
    out = {"id": qid, "question": question, "lang": lang, "answerable": True, **FACT, **kw}
    out["reference"] = "39 political prisoners."
    if of:
        out["paraphrase_of"] = of
    if how:
        out["strategy"] = how
    return out


ROWS = [
    row("o1", "How many political prisoners should PACE see released?"),
    row("o1a", "How many political prisoners should the Parliamentary Assembly see released?",
        of="o1", how="acronym"),
    row("o1b", "Combien de prisonniers politiques l'APCE veut-elle libérer ?", lang="fr",
        of="o1", how="language"),
    row("o2", "How many prisoners does the resolution want released?"),
    row("o2a", "In its 2025 resolution, how many prisoners does it want released?",
        of="o2", how="context"),
    row("o3", "What number of prisoners is named?"),
    row("o4", "Which number of political prisoners is given?"),
    row("o4a", "The Assembly names a number of political prisoners: which?", of="o4", how="shape"),
    row("o4b", "Which number of political prisoners does PACE give?", of="o4", how="acronym"),
    {"id": "u1", "question": "What is the capital of Kazakhstan?", "lang": "en",
     "answerable": False, "sources": [], "facts": [], "evidence": [], "reference": "-"},
    {"id": "u1a", "question": "Quelle est la capitale du Kazakhstan ?", "lang": "fr",
     "answerable": False, "sources": [], "facts": [], "evidence": [], "reference": "-",
     "paraphrase_of": "u1", "strategy": "language"},
]  # fmt: skip

RIGHT = "The Assembly wants 39 political prisoners released [1]."
PASSAGES = [Passage("c1", SRC, "The Assembly expects: releasing 39 political prisoners.", 1.0)]
CITES = [Citation(1, SRC, "c1", "releasing 39 political prisoners", "§5")]


def fake(question: str, history) -> Answer:
    qid = next(r["id"] for r in ROWS if r["question"] == question)
    if qid == "u1":
        return Answer(question, "The documents don't say.", True, backend="extractive")
    text = "Il en veut 40 [1]." if qid == "o1b" else RIGHT
    if qid == "o3":  # wrong, and cites nothing
        return Answer(question, "Some of them.", False, passages=PASSAGES, backend="llamacpp")
    trace = [{"step": "retrieve", "k": 5}, {"step": "generate", "ms": 12.5, "via": ("a", "b")}]
    return Answer(question, text, False, CITES, PASSAGES, backend="llamacpp", trace=trace)


@pytest.fixture
def dataset(tmp_path):
    path = tmp_path / "para.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS) + "\n")
    return path


def test_paraphrase_keys_are_parsed(dataset):
    items = {i.id: i for i in load_dataset(dataset)}
    assert (items["o1b"].paraphrase_of, items["o1b"].strategy, items["o1b"].group) == (
        "o1",
        "language",
        "o1",
    )
    assert (items["o1"].paraphrase_of, items["o1"].strategy, items["o1"].group) == ("", "", "o1")


def test_groups_are_scored_from_the_rows_present(dataset):
    items = [i for i in load_dataset(dataset) if i.id != "o4"]  # o4 cut, as by --limit
    result = run_eval(items, answer_fn=fake, progress=False, dataset=str(dataset))
    m = result["metrics"]
    assert (m["paraphrase_consistency"], m["paraphrase_groups"]) == (pytest.approx(2 / 3), 3)
    assert m["correct"] == pytest.approx(6 / 8)  # every answerable row: o1b and o3 missed
    assert m["correct_originals"] == pytest.approx(2 / 3)  # o1, o2 right; o3 wrong
    assert m["uncited_answers"] == 1  # o3
    by = result["by_strategy"]
    assert set(by) == {"original", "acronym", "language", "context", "shape"}
    assert by["original"]["n"] == 4 and by["original"]["correct"] == pytest.approx(2 / 3)
    assert by["acronym"]["correct"] == 1.0 and by["language"]["correct"] == 0.0
    assert by["language"]["abstention_recall"] == 0.0  # u1a answered an unanswerable one
    # Per language: the French wording alone is its group there.
    assert result["by_lang"]["fr"]["paraphrase_consistency"] == 0.0
    assert result["by_lang"]["en"]["paraphrase_consistency"] == 1.0
    assert result["split"] == "para" and result["label"] == "para"


def test_records_keep_who_answered_and_the_route(dataset):
    items = load_dataset(dataset)
    result = run_eval(items, answer_fn=fake, progress=False)
    rec = {r["id"]: r for r in result["questions"]}
    assert rec["u1"]["backend"] == "extractive" and rec["o1"]["backend"] == "llamacpp"
    assert rec["o1a"]["trace"][1] == {"step": "generate", "ms": 12.5, "via": ["a", "b"]}
    assert rec["u1"]["trace"] == []
    assert (rec["o1b"]["paraphrase_of"], rec["o1b"]["strategy"]) == ("o1", "language")
    json.dumps(result)


def test_without_paraphrases_there_are_no_groups():
    records = [
        {"id": "a", "answerable": True, "verdicts": {"correct": True}},
        {"id": "b", "answerable": True, "paraphrase_of": None, "verdicts": {"correct": False}},
    ]
    assert paraphrase_consistency(records) == (None, 0)
    # a wording without a verdict (no facts) or with an error does not break its group
    records += [
        {"id": "a1", "answerable": True, "paraphrase_of": "a", "verdicts": {"correct": None}},
        {"id": "a2", "answerable": True, "paraphrase_of": "a", "verdicts": {"correct": False},
         "error": "timed out"},
        {"id": "a3", "answerable": True, "paraphrase_of": "a", "verdicts": {"correct": True}},
    ]  # fmt: skip
    assert paraphrase_consistency(records) == (1.0, 1)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"paraphrase_of": "nope", "strategy": "shape"}, "paraphrase_of 'nope' names no question"),
        ({"paraphrase_of": "b", "strategy": "shape"}, "names the row itself"),
        ({"paraphrase_of": "a", "strategy": "synonym"}, "'strategy' must be one of acronym"),
        ({"strategy": "shape"}, "add 'paraphrase_of'"),
        ({"paraphrase_of": ""}, "'paraphrase_of' must be the id"),
    ],
)
def test_bad_paraphrase_rows_name_file_and_line(tmp_path, extra, message):
    path = tmp_path / "bad.jsonl"
    first = {"id": "a", "question": "Q?", "answerable": True}
    second = {"id": "b", "question": "Q again?", "answerable": True, **extra}
    path.write_text(json.dumps(first) + "\n" + json.dumps(second) + "\n")
    with pytest.raises(DatasetError, match=r"bad\.jsonl, line 2") as exc:
        load_dataset(path)
    assert message in str(exc.value)


def test_a_paraphrase_of_a_paraphrase_is_refused(tmp_path):
    rows = [
        {"id": "a", "question": "Q?", "answerable": True},
        {"id": "b", "question": "Q2?", "answerable": True, "paraphrase_of": "a"},
        {"id": "c", "question": "Q3?", "answerable": True, "paraphrase_of": "b"},
    ]
    path = tmp_path / "chain.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    with pytest.raises(DatasetError, match=r"chain\.jsonl, line 3: .*itself a paraphrase"):
        load_dataset(path)
