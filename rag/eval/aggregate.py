"""Dataset-level metrics from per-question records, overall and per group of questions.

``aggregate(records)`` averages the verdicts of ``rag.eval.scoring.score_item``; every
name is flat (``hit@5``, ``correct``, ``false_abstention_rate``...) and ``None`` when no
question applies. Besides the means it counts what a gate must see one by one
(``uncited_answers``: answers that cite nothing) and measures wording robustness:

- ``correct_originals``: ``correct`` over the answerable questions that are not
  paraphrases (the figure comparable to a set without paraphrases);
- ``paraphrase_consistency``: over paraphrase groups (an answerable original and its
  rewordings present in the records), the share in which *every* wording is correct.
  A group is counted from the rows present: with ``--limit`` the original may be absent.

    >>> rows = [_row("q1", True), _row("q1a", True, of="q1"), _row("q2", True),
    ...         _row("q2a", False, of="q2"), _row("q3", True)]
    >>> paraphrase_consistency(rows)  # q1 holds, q2 breaks, q3 has no paraphrase
    (0.5, 2)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from rag.eval.metrics import abstention_scores, percentile

__all__ = ["aggregate", "breakdowns", "paraphrase_consistency"]


def _mean(values: Sequence[Any]) -> float | None:
    vals = [float(x) for x in values if x is not None]
    return sum(vals) / len(vals) if vals else None


def _row(qid: str, correct: bool, of: str | None = None) -> dict[str, Any]:
    """A minimal record, for the examples."""
    return {"id": qid, "answerable": True, "paraphrase_of": of, "verdicts": {"correct": correct}}


def paraphrase_consistency(records: Sequence[dict[str, Any]]) -> tuple[float | None, int]:
    """``(share of groups whose wordings are all correct, number of groups)``.

    Only answerable questions with a verdict count; a group needs at least one
    paraphrase among the records (an original alone says nothing about rewording).
    """
    groups: dict[str, list[bool]] = defaultdict(list)
    reworded: set[str] = set()
    for r in records:
        correct = r["verdicts"].get("correct")
        if r.get("error") or not r["answerable"] or correct is None:
            continue
        group = r.get("paraphrase_of") or r["id"]
        groups[group].append(bool(correct))
        if r.get("paraphrase_of"):
            reworded.add(group)
    judged = [all(groups[g]) for g in reworded]
    return (sum(judged) / len(judged) if judged else None), len(judged)


def aggregate(records: Sequence[dict[str, Any]], k: int = 5) -> dict[str, Any]:
    """Dataset-level metrics from per-question records (flat names, ``None`` when empty)."""
    ok = [r for r in records if not r.get("error")]
    answerable = [r for r in ok if r["answerable"]]
    originals = [r for r in answerable if not r.get("paraphrase_of")]
    answered = [r for r in ok if not r["abstained"]]

    def col(rows: Sequence[dict[str, Any]], key: str) -> list[Any]:
        return [r["verdicts"][key] for r in rows]

    claims = sum(r["verdicts"]["claims"] for r in answered)
    consistency, groups = paraphrase_consistency(ok)
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
        "correct_originals": _mean(col(originals, "correct")),
        "paraphrase_consistency": consistency,
        "paraphrase_groups": groups,
        "token_f1": _mean(col(answerable, "token_f1")),
        "accuracy": _mean(col(ok, "correct")) if ok else None,
        # An answer that cites nothing cannot be checked by its reader, right or not.
        "uncited_answers": sum(1 for r in answered if not r.get("citations")),
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


def breakdowns(records: Sequence[dict[str, Any]], k: int = 5) -> dict[str, dict[str, Any]]:
    """``by_lang``, ``by_source`` and ``by_strategy``: ``aggregate`` over each group.

    ``by_source`` adds ``(unanswerable)`` for the questions without a source;
    ``by_strategy`` has ``original`` for the questions that are not paraphrases, and
    is empty for a set without paraphrases.
    """
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
    by_strategy: dict[str, Any] = {}
    if any(r.get("paraphrase_of") for r in records):

        def strategy(r: dict[str, Any]) -> str:
            if not r.get("paraphrase_of"):
                return "original"
            return str(r.get("strategy") or "unspecified")

        by_strategy = {
            name: aggregate([r for r in records if strategy(r) == name], k)
            for name in sorted({strategy(r) for r in records})
        }
    return {"by_lang": by_lang, "by_source": by_source, "by_strategy": by_strategy}
