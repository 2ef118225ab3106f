"""The CI quality gate: on the test split and every second corpus, never on dev.

`eval/thresholds.json` holds one block per dataset label (`test` for eval/test.jsonl over
seeds/, `<name>` for eval/<name>/test.jsonl over eval/<name>/corpus/) and backend. Both
extractive backend runs every question of every gated set; the local model (~19 s a
question on 2 cores with the relevance check) runs every
`_llamacpp_originals_every`-th original question and the wordings of every
`_llamacpp_paraphrase_every`-th paraphrase group, so CI stays within its time limit;
`make eval` measures every question.
A deliberately broken retriever must make the gate fail, so the gate can fail.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from rag.answer import answer
from rag.config import Settings
from rag.eval.corpus import prepare_index, resolve_target
from rag.eval.datasets import load_dataset, paraphrase_sample
from rag.eval.gate import check_thresholds, thresholds_for
from rag.eval.judge import backend_translator, cross_lingual_judge
from rag.eval.report import write_json
from rag.eval.runner import run_eval
from rag.llm.base import get_backend

ROOT = Path(__file__).resolve().parent.parent
GATE = json.loads((ROOT / "eval" / "thresholds.json").read_text())
BACKENDS = ("extractive", "llamacpp")
#: What every block must bound (issue #13, "Done when").
REQUIRED = (
    "correct",
    "paraphrase_consistency",
    "false_abstention_rate<=",
    "abstention_recall",
    "citation_precision",
    "uncited_answers<=",
)
SECOND_CORPORA = sorted(p.parent.name for p in (ROOT / "eval").glob("*/test.jsonl"))
GATED = ["test", *SECOND_CORPORA]


def dataset_path(label: str) -> Path:
    path = ROOT / "eval" / ("test.jsonl" if label == "test" else f"{label}/test.jsonl")
    if not path.is_file():
        pytest.fail(
            f"{path.relative_to(ROOT)} is missing: the gate runs on the test split and the "
            "second corpus; commit the dataset (never gate on dev instead)."
        )
    return path


def test_the_gate_covers_the_test_split_and_a_second_corpus():
    assert SECOND_CORPORA, (
        "no eval/<name>/test.jsonl: the gate needs a second corpus (eval/<name>/corpus/)"
    )
    dataset_path("test")
    assert "dev" not in GATE, "the gate must not read dev: designs are tuned on it"


@pytest.mark.parametrize("label", GATED)
@pytest.mark.parametrize("backend", BACKENDS)
def test_every_gated_set_has_a_full_block(label, backend):
    assert label in GATE, f'eval/thresholds.json has no "{label}" block: add one per backend'
    block = thresholds_for(GATE, label, backend)
    missing = [key for key in REQUIRED if key not in block]
    assert not missing, f"{label}/{backend} does not bound {', '.join(missing)}"
    assert block["uncited_answers<="] == 0


def _run(settings: Settings, label: str, out: Path, judge=None, items=None) -> dict:
    path = dataset_path(label)
    target = resolve_target(path, settings)
    assert target.label == label, (target.label, target.corpus)
    scoped, synced = prepare_index(settings, target)
    assert not synced.skipped, synced.summary()
    result = run_eval(
        load_dataset(path) if items is None else items,
        answer_fn=lambda q, h: answer(q, h, settings=scoped),
        judge=judge,
        k=settings.top_k,
        progress=False,
        backend=settings.llm_backend,
        target=target,
        context_tokens=settings.context_tokens,
    )
    write_json(result, out)  # kept in pytest's tmp dir for inspection on failure
    return result


@pytest.mark.eval
@pytest.mark.parametrize("label", GATED)
def test_extractive_meets_the_thresholds(seed_settings, tmp_path, label):
    result = _run(seed_settings, label, tmp_path / f"{label}-extractive.json")
    assert result["metrics"]["errors"] == 0
    assert check_thresholds(result, thresholds_for(GATE, label, "extractive")) == []


def _llm_sample(items):  # type: ignore[no-untyped-def]
    return paraphrase_sample(
        items, GATE["_llamacpp_paraphrase_every"], GATE["_llamacpp_originals_every"]
    )


def test_the_local_model_sample_keeps_every_nth_original_and_whole_groups():
    items = load_dataset(dataset_path("test"))
    sample = _llm_sample(items)
    kept = {i.id for i in sample}
    answerable = [i.id for i in items if not i.paraphrase_of and i.answerable]
    assert set(answerable[:: GATE["_llamacpp_originals_every"]]) <= kept
    # Abstention is gated on every unanswerable question, not on a sample of them.
    assert {i.id for i in items if not i.paraphrase_of and not i.answerable} <= kept
    sampled_groups = {i.group for i in sample if i.paraphrase_of}
    assert sampled_groups and all(
        {i.id for i in items if i.group == g} <= {i.id for i in sample} for g in sampled_groups
    )


@pytest.mark.eval
@pytest.mark.llm
@pytest.mark.parametrize("label", GATED)
def test_local_model_meets_the_thresholds(seed_settings, tmp_path, label):
    settings = seed_settings.replace(llm_backend="llamacpp")
    # As `rag eval` judges an LLM backend: French and Italian claims are translated into
    # their sources' language by the same model, then judged lexically.
    judge = cross_lingual_judge(backend_translator(get_backend(settings)))
    items = _llm_sample(load_dataset(dataset_path(label)))
    result = _run(settings, label, tmp_path / f"{label}-llamacpp.json", judge=judge, items=items)
    assert result["metrics"]["errors"] == 0
    assert check_thresholds(result, thresholds_for(GATE, label, "llamacpp")) == []


@pytest.mark.eval
def test_gate_fails_when_the_retriever_is_broken(seed_settings, tmp_path, monkeypatch):
    # `rag.retrieve` is also the name of the re-exported function: fetch the module itself.
    module = importlib.import_module("rag.retrieve")
    real = module.retrieve

    def broken(query: str, settings: Settings, **kw: object) -> list:
        # The k passages *least* like the query: a retriever with its ranking reversed.
        ranked = real(query, settings, k=60)
        return list(reversed(ranked))[: settings.top_k]

    monkeypatch.setattr(module, "retrieve", broken)
    items = [i for i in load_dataset(dataset_path("test")) if i.answerable][:20]
    result = _run(seed_settings, "test", tmp_path / "broken.json", items=items)
    failures = check_thresholds(result, thresholds_for(GATE, "test", "extractive"))
    assert any(f.startswith("hit@5") for f in failures), failures
    assert any(f.startswith("correct") for f in failures), failures
