"""The committed question sets: schema, coverage, and that their quotes and facts are real.

Every dataset file is checked against its own corpus: eval/dev.jsonl and eval/test.jsonl
against seeds/, eval/<name>/test.jsonl and eval/<name>/dev.jsonl against eval/<name>/corpus/.
Evidence quotes must be verbatim spans of their source documents (whitespace collapsed,
case ignored), so passage-level retrieval scores mean something; every fact group must be
satisfiable, which we check against the reference answer; a paraphrase must reword a question of the
same file and keep what makes it right (answerable, sources).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from rag.eval.datasets import STRATEGIES, load_dataset
from rag.eval.metrics import contains, fact_matches

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "eval"
SEEDS = ROOT / "seeds"
KEYS = {"id", "question", "lang", "answerable", "sources", "facts", "reference", "evidence"}
OPTIONAL = {"history", "paraphrase_of", "strategy"}
LANGS = {"en", "fr", "it"}

FOUND = sorted(
    {p for p in (EVAL / "dev.jsonl", EVAL / "test.jsonl") if p.is_file()}
    | set(EVAL.glob("*/test.jsonl"))
    | set(EVAL.glob("*/dev.jsonl")),  # a dev set of another genre (eval/manuals/)
)


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def corpus_of(dataset: Path) -> Path:
    """seeds/ for the seed splits, the dataset's own corpus/ folder for another corpus."""
    return SEEDS if dataset.parent == EVAL else dataset.parent / "corpus"


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


@cache
def documents(corpus: Path) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """source -> (collapsed file text, collapsed loaded text, languages of its paragraphs)."""
    from rag.ingest import discover, load_document

    out = {}
    for path in discover(corpus):
        doc = load_document(path, corpus)
        raw = path.read_text(encoding="utf-8", errors="replace") if path.suffix != ".pdf" else ""
        out[doc.source] = (collapse(raw), collapse(doc.text), tuple(doc.languages))
    return out


@cache
def rows_of(dataset: Path) -> list[dict]:
    lines = dataset.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def originals(dataset: Path) -> list[dict]:
    return [r for r in rows_of(dataset) if "paraphrase_of" not in r]


def test_the_expected_datasets_exist():
    """dev and test on the seeds and at least one second corpus (eval/<name>/test.jsonl
    with eval/<name>/corpus/): every rule below runs on each file found."""
    names = [rel(p) for p in FOUND]
    assert "eval/dev.jsonl" in names, "eval/dev.jsonl is missing: the dev split"
    assert "eval/test.jsonl" in names, "eval/test.jsonl is missing: the held-out test split"
    others = [p for p in FOUND if p.parent != EVAL]
    assert others, "no second corpus: add eval/<name>/test.jsonl and eval/<name>/corpus/"
    for dataset in others:
        assert corpus_of(dataset).is_dir(), f"{rel(dataset)} has no corpus/ folder next to it"


datasets = pytest.mark.parametrize("dataset", FOUND, ids=rel)


@datasets
def test_schema_and_unique_ids(dataset):
    rows = rows_of(dataset)
    for row in rows:
        assert KEYS <= set(row) <= KEYS | OPTIONAL, row["id"]
        assert isinstance(row["answerable"], bool) and row["question"].strip()
        assert row["lang"] in LANGS, row["id"]
        assert row["reference"].strip(), row["id"]
        for turn in row.get("history", []):
            assert turn["role"] in {"user", "assistant"} and turn["content"].strip()
        if row["answerable"]:
            assert row["sources"] and row["facts"] and row["evidence"], row["id"]
        else:
            assert row["sources"] == [] and row["facts"] == [] and row["evidence"] == []
    ids = Counter(r["id"] for r in rows)
    assert [i for i, n in ids.items() if n > 1] == []
    assert len(load_dataset(dataset)) == len(rows)  # the harness accepts it


@datasets
def test_sources_are_files_of_its_corpus(dataset):
    docs = documents(corpus_of(dataset))
    for row in rows_of(dataset):
        for source in row["sources"]:
            assert source in docs, (row["id"], source, rel(corpus_of(dataset)))


@datasets
def test_evidence_quotes_are_verbatim(dataset):
    docs = documents(corpus_of(dataset))
    for row in rows_of(dataset):
        for quote in row["evidence"]:
            assert 4 <= len(quote.split()) <= 30, (row["id"], quote)
            q = collapse(quote)
            assert any(q in docs[s][0] or q in docs[s][1] for s in row["sources"]), (
                row["id"],
                quote,
            )


@datasets
def test_every_source_has_evidence(dataset):
    docs = documents(corpus_of(dataset))
    for row in rows_of(dataset):
        for source in row["sources"]:
            raw, loaded, _ = docs[source]
            assert any(collapse(q) in raw or collapse(q) in loaded for q in row["evidence"]), (
                row["id"],
                source,
            )


@datasets
def test_facts_are_short_and_found_in_the_reference(dataset):
    for row in rows_of(dataset):
        for group in row["facts"]:
            assert all(0 < len(alt.split()) <= 8 for alt in group), (row["id"], group)
        assert all(fact_matches(row["reference"], row["facts"])), row["id"]


@datasets
def test_paraphrases_reword_an_original_of_the_same_file(dataset):
    rows = rows_of(dataset)
    by_id = {r["id"]: r for r in rows}
    for row in rows:
        if "paraphrase_of" not in row:
            assert "strategy" not in row, row["id"]
            continue
        original = by_id.get(row["paraphrase_of"])
        assert original is not None, (row["id"], "paraphrase_of names no row of this file")
        assert "paraphrase_of" not in original, (row["id"], "points at a paraphrase")
        assert row.get("strategy") in STRATEGIES, (row["id"], row.get("strategy"))
        assert row["answerable"] == original["answerable"], row["id"]
        assert row["sources"] == original["sources"], row["id"]
        assert collapse(row["question"]) != collapse(original["question"]), row["id"]
        if row["strategy"] == "language":
            assert row["lang"] != original["lang"], (row["id"], "same language")


@pytest.mark.parametrize("dataset", [EVAL / "dev.jsonl", EVAL / "test.jsonl"], ids=rel)
def test_every_answerable_seed_question_has_two_wordings_more(dataset):
    """Issue #13: at least two more wordings per answerable question, by different
    strategies, on both seed splits."""
    if not dataset.is_file():
        pytest.fail(f"{rel(dataset)} is missing")
    rows = rows_of(dataset)
    strategies: dict[str, set[str]] = {r["id"]: set() for r in originals(dataset)}
    for r in rows:
        if "paraphrase_of" in r:
            strategies[r["paraphrase_of"]].add(r["strategy"])
    thin = [r["id"] for r in originals(dataset) if r["answerable"] and len(strategies[r["id"]]) < 2]
    assert thin == [], f"{len(thin)} answerable questions with fewer than 2 strategies: {thin}"


def _cross_lingual(dataset: Path) -> int:
    """Questions asked in a language none of their sources is written in."""
    docs = documents(corpus_of(dataset))
    return sum(
        1
        for r in originals(dataset)
        if r["sources"] and all(r["lang"] not in docs[s][2] for s in r["sources"])
    )


def _coverage(dataset: Path, *, size: int, unanswerable: int, follow_ups: int) -> Counter:
    rows = originals(dataset)
    assert len(rows) >= size, (len(rows), size)
    assert sum(not r["answerable"] for r in rows) >= unanswerable
    assert sum("history" in r for r in rows) >= follow_ups
    assert _cross_lingual(dataset) >= 3
    return Counter(r["lang"] for r in rows)


@datasets
def test_size_and_coverage(dataset):
    if dataset == EVAL / "dev.jsonl":
        langs = _coverage(dataset, size=60, unanswerable=8, follow_ups=4)
        assert langs["fr"] + langs["it"] >= 8 and langs["fr"] >= 3 and langs["it"] >= 3
        rows = originals(dataset)
        assert {s for r in rows for s in r["sources"]} == set(documents(SEEDS))
        assert sum(len(r["sources"]) >= 2 for r in rows) >= 3  # questions across documents
    elif dataset == EVAL / "test.jsonl":
        langs = _coverage(dataset, size=60, unanswerable=10, follow_ups=2)
        assert langs["fr"] >= 3 and langs["it"] >= 3
    else:  # a second corpus
        langs = _coverage(dataset, size=40, unanswerable=8, follow_ups=0)
        assert langs["fr"] + langs["it"] >= 6


# Without a second corpus, a placeholder that fails (never an empty, skipped parameter set).
SECOND = [p for p in FOUND if p.parent != EVAL] or [EVAL / "NAME" / "test.jsonl"]


@pytest.mark.parametrize("dataset", SECOND, ids=rel)
def test_a_second_corpus_is_real_sized_and_mixes_formats(dataset):
    if not dataset.is_file():
        pytest.fail("no second corpus: add eval/<name>/test.jsonl and eval/<name>/corpus/")
    corpus = corpus_of(dataset)
    docs = documents(corpus)
    assert len(docs) >= 5
    assert sum(len(loaded.split()) for _, loaded, _ in docs.values()) >= 30_000
    suffixes = {Path(s).suffix.lower() for s in docs}
    assert ".txt" in suffixes and suffixes & {".md", ".html", ".htm", ".pdf"}, suffixes

    def hard_wrapped(path: Path) -> bool:
        text = path.read_text(encoding="utf-8", errors="replace")
        lines = [x for x in text.splitlines() if x.strip()]
        return bool(lines) and sum(len(x) <= 80 for x in lines) >= 0.9 * len(lines)

    assert any(hard_wrapped(corpus / s) for s in docs if s.endswith(".txt"))


@pytest.mark.slow
@datasets
def test_an_oracle_over_the_real_chunks_scores_perfectly_and_a_wrong_one_does_not(dataset):
    """Every evidence quote survives loading and chunking, so passage-level retrieval
    metrics can reach 1.0; passages without the evidence score 0."""
    from rag.chunking import chunk_document
    from rag.eval.runner import run_eval
    from rag.ingest import discover, load_document
    from rag.types import Answer, Passage

    corpus = corpus_of(dataset)
    items = load_dataset(dataset)
    chunks = [c for p in discover(corpus) for c in chunk_document(load_document(p, corpus))]
    by_question = {i.question: i for i in items}
    lost = [
        (i.id, q) for i in items for q in i.evidence if not any(contains(c.text, q) for c in chunks)
    ]
    assert lost == [], f"evidence split by chunking (quote a shorter span): {lost}"

    def passages_for(quotes: tuple[str, ...], want: bool) -> list[Passage]:
        if want:  # the first chunk holding each quote: all of them fit in the top 5
            hits = list({next(c for c in chunks if contains(c.text, q)): 0 for q in quotes})
        else:
            hits = [c for c in chunks if not any(contains(c.text, q) for q in quotes)]
        return [Passage(c.id, c.source, c.text, 1.0, c.lang) for c in hits][:5]

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
    if good["paraphrase_groups"]:
        assert good["paraphrase_consistency"] == 1.0

    bad = run_eval(items, answer_fn=wrong, progress=False)["metrics"]
    assert bad["hit@5"] == 0.0 and bad["recall@5"] == 0.0 and bad["correct"] == 0.0
    assert bad["abstention_recall"] == 0.0 and bad["citation_recall"] == 0.0


def test_the_sample_keeps_every_unanswerable_every_nth_answerable_and_whole_groups():
    from rag.eval.datasets import EvalItem, paraphrase_sample

    items = [EvalItem(f"a{k}", f"Q{k}?", answerable=True) for k in range(6)]
    items += [EvalItem("u1", "U?", answerable=False), EvalItem("u2", "V?", answerable=False)]
    items += [EvalItem(f"a{k}x", f"Q{k} again?", True, paraphrase_of=f"a{k}") for k in (1, 3)]
    ids = [i.id for i in paraphrase_sample(items, every=2, originals_every=3)]
    # answerable a0, a3 (every 3rd); both unanswerable; group a1 whole (1st of 2 groups)
    assert ids == ["a0", "a1", "a3", "u1", "u2", "a1x"]
    assert len(paraphrase_sample(items, every=1)) == len(items)
