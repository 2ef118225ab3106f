"""The evaluation harness: question sets, scoring, reports, the quality gate.

    items = load_dataset("eval/test.jsonl")
    target = resolve_target("eval/test.jsonl", settings)         # which corpus, which label
    scoped, _ = prepare_index(settings, target)                  # its own index, synced
    result = run_eval(items, answer_fn=lambda q, h: rag.answer(q, h, settings=scoped),
                      target=target)
    failures = check_thresholds(result, {"correct": 0.7, "false_abstention_rate<=": 0.15})
    write_html([result], "eval/results/report.html")

One module per concept: ``datasets`` (JSONL files, splits, paraphrases), ``corpus`` (the
corpus and index a dataset is answered over), ``metrics`` (pure text and retrieval
metrics), ``judge`` (citation support), ``scoring`` (one answer -> one record),
``aggregate`` (records -> metrics and breakdowns), ``runner`` (``run_eval``), ``gate``
(thresholds), ``gap`` (dev - test, seeds - other corpus), ``report`` (JSON, HTML).
"""

from rag.eval.aggregate import aggregate, breakdowns, paraphrase_consistency
from rag.eval.corpus import EvalTarget, corpus_name, prepare_index, resolve_target
from rag.eval.datasets import STRATEGIES, EvalItem, load_dataset, split_name
from rag.eval.gap import GAP_METRICS, gap_text, generalization_gaps
from rag.eval.gate import check_thresholds, load_thresholds, thresholds_for
from rag.eval.judge import (
    Judge,
    LexicalJudge,
    citation_scores,
    cross_lingual_judge,
    embedding_judge,
    llm_judge,
    split_claims,
)
from rag.eval.metrics import (
    abstention_scores,
    evidence_in_context,
    fact_matches,
    hit_at_k,
    matching_quotes,
    ndcg_at_k,
    percentile,
    recall_at_k,
    reciprocal_rank,
    token_f1,
)
from rag.eval.report import compare, load_result, write_html, write_json
from rag.eval.runner import run_eval
from rag.eval.scoring import score_item

__all__ = [
    "GAP_METRICS",
    "STRATEGIES",
    "EvalItem",
    "EvalTarget",
    "Judge",
    "LexicalJudge",
    "abstention_scores",
    "aggregate",
    "breakdowns",
    "check_thresholds",
    "citation_scores",
    "compare",
    "corpus_name",
    "cross_lingual_judge",
    "embedding_judge",
    "evidence_in_context",
    "fact_matches",
    "gap_text",
    "generalization_gaps",
    "hit_at_k",
    "llm_judge",
    "load_dataset",
    "load_result",
    "load_thresholds",
    "matching_quotes",
    "ndcg_at_k",
    "paraphrase_consistency",
    "percentile",
    "prepare_index",
    "recall_at_k",
    "reciprocal_rank",
    "resolve_target",
    "run_eval",
    "score_item",
    "split_claims",
    "split_name",
    "thresholds_for",
    "token_f1",
    "write_html",
    "write_json",
]
