"""Run any answer function over a question set and score every answer.

    items = load_dataset("eval/dev.jsonl")
    result = run_eval(items, answer_fn=lambda q, h: rag.answer(q, h, settings=settings))
    result["metrics"]["correct"], result["by_lang"]["fr"]["correct"]

The result is one JSON-ready dict: where it was measured (dataset, corpus, split, label,
backend), the metrics (``rag.eval.aggregate``), breakdowns per language, source and
paraphrase strategy, and every question's record (``rag.eval.scoring``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from rag.errors import ConfigError, IndexStoreError, RAGError
from rag.eval.aggregate import aggregate, breakdowns
from rag.eval.corpus import EvalTarget
from rag.eval.datasets import EvalItem, split_name
from rag.eval.judge import Judge, LexicalJudge
from rag.eval.scoring import score_item
from rag.types import Answer, Turn

__all__ = ["AnswerFn", "run_eval"]

log = logging.getLogger(__name__)

AnswerFn = Callable[[str, list[Turn]], Answer]


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
    target: EvalTarget | None = None,
) -> dict[str, Any]:
    """Answer every item with ``answer_fn(question, history)`` and score the answers.

    A ``QuestionError``/``BackendError`` on one question is recorded on that question
    (it then counts as a failure); errors that stop every question (no index, bad
    configuration) are raised, as is any error on the first three questions in a row.
    ``target`` (or just ``dataset``, a name) says where the run was measured.

    Returns:
        ``{"backend", "dataset", "corpus", "corpus_name", "split", "label", "n", "k",
        "judge", "metrics", "by_lang", "by_source", "by_strategy", "questions"}``;
        ``metrics`` has flat names such as ``hit@5``, ``mrr``, ``citation_precision``,
        ``correct``, ``paraphrase_consistency``, ``abstention_recall``, ``latency_p95_ms``.
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
    where: dict[str, Any] = {
        "dataset": dataset,
        "corpus": None,
        "corpus_name": None,
        "split": split_name(dataset) if dataset else None,
        "label": split_name(dataset) if dataset else None,
    }
    if target is not None:
        where.update(target.to_dict())
    return {
        "backend": backend or next((r["backend"] for r in records if r["backend"]), "unknown"),
        **where,
        "n": len(records),
        "k": k,
        "judge": getattr(judge, "name", type(judge).__name__),
        # How a cross-lingual judge read the claims it translated (claim -> translation).
        "judge_translations": {
            claim: out for (claim, _), out in getattr(judge, "translations", {}).items()
        },
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "metrics": aggregate(records, k),
        **breakdowns(records, k),
        "questions": records,
    }
