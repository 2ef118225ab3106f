"""Pure metric functions of the evaluation harness: text matching, retrieval, correctness.

Everything here works on plain strings, booleans and numbers, so each metric can be
checked by hand. Matching is deliberately forgiving about form and strict about words:
text is *folded* (accents removed, case folded, every run of non-alphanumeric characters
turned into one space), and a quote or fact matches when its folded words occur as a
contiguous run of whole words in the folded text:

    >>> fold("L'Hôtel « Grand Lac »")
    'l hotel grand lac'
    >>> contains("Rebuilding 12 wooden bridges, footpaths...", "12 WOODEN bridges")
    True
    >>> contains("thirty-nine attention", "ten")
    False

So "20,000" matches "20 000", "Müller" matches "Muller", and "ten" does not match "attention".
Citation and groundedness metrics, which need a support judge, live in ``rag.eval.judge``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import PurePath

__all__ = [
    "abstention_scores",
    "contains",
    "evidence_in_context",
    "fact_matches",
    "fold",
    "hit_at_k",
    "matching_quotes",
    "ndcg_at_k",
    "percentile",
    "recall_at_k",
    "reciprocal_rank",
    "same_source",
    "strip_markers",
    "token_f1",
    "words",
]

_NON_WORD = re.compile(r"[\W_]+")
_MARKER = re.compile(r"\[\d+(?:\s*[,;]\s*\d+)*\]")
# Ligatures that NFKD leaves alone but people type as two letters.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae"})


def fold(text: str) -> str:
    """Accent- and case-insensitive, punctuation-free form: ``"Décret n° 417"`` ->
    ``"decret n 417"``."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES).casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", bare).strip()


def words(text: str) -> list[str]:
    """Folded words: ``"Mar. 5"`` -> ``["mar", "5"]``."""
    folded = fold(text)
    return folded.split() if folded else []


def contains(text: str, quote: str) -> bool:
    """True when ``quote``'s folded words occur as a whole-word run in ``text``."""
    needle = fold(quote)
    return bool(needle) and f" {needle} " in f" {fold(text)} "


def strip_markers(text: str) -> str:
    """Remove citation markers: ``"Signed in 2024 [1][2]."`` -> ``"Signed in 2024 ."``."""
    return _MARKER.sub("", text)


def same_source(passage_source: str, source: str) -> bool:
    """Sources match by file name, so ``"notes/2024/x.txt"`` matches ``"x.txt"``."""
    return PurePath(passage_source).name == PurePath(source).name


# --- retrieval -------------------------------------------------------------------


def matching_quotes(passages: Sequence[str], quotes: Sequence[str]) -> list[set[int]]:
    """For each passage, the indices of the evidence quotes it contains.

    >>> matching_quotes(["a b c", "x y", "b c d"], ["b c", "z"])
    [{0}, set(), {0}]
    """
    folded = [f" {fold(q)} " for q in quotes]
    out: list[set[int]] = []
    for text in passages:
        hay = f" {fold(text)} "
        out.append({i for i, q in enumerate(folded) if q.strip() and q in hay})
    return out


def hit_at_k(relevant: Sequence[bool], k: int) -> float:
    """1.0 when any of the first ``k`` results is relevant: ``([False, True], 2)`` -> 1.0."""
    return 1.0 if any(relevant[:k]) else 0.0


def reciprocal_rank(relevant: Sequence[bool], k: int) -> float:
    """1 / rank of the first relevant result within ``k`` (0 when none).

    >>> reciprocal_rank([False, False, True, True], 5)
    0.3333333333333333
    """
    for rank, rel in enumerate(relevant[:k], start=1):
        if rel:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(relevant: Sequence[bool], k: int) -> float:
    """Binary nDCG@k with the ideal ranking of the *returned* list.

    DCG = sum(rel_i / log2(i + 1)) over ranks i = 1..k; the ideal DCG puts all the
    relevant results that were returned (at any rank) first. Evidence that was never
    retrieved is what ``recall_at_k`` measures, so it is not double-counted here.

    >>> round(ndcg_at_k([False, True, False], 3), 4)  # (1/log2 3) / (1/log2 2)
    0.6309
    >>> ndcg_at_k([True, False], 2), ndcg_at_k([False, False], 2)
    (1.0, 0.0)
    """
    dcg = sum(1.0 / math.log2(i + 1) for i, rel in enumerate(relevant[:k], start=1) if rel)
    n_ideal = min(k, sum(1 for rel in relevant if rel))
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, n_ideal + 1))
    return dcg / ideal if ideal else 0.0


def recall_at_k(covered: Sequence[Collection[object]], n_relevant: int, k: int) -> float:
    """Share of the ``n_relevant`` items (evidence quotes, sources) found in the top ``k``.

    ``covered[i]`` is the set of item ids result ``i`` contains.

    >>> recall_at_k([{0}, set(), {0, 1}], n_relevant=3, k=2)
    0.3333333333333333
    """
    if n_relevant <= 0:
        return 0.0
    found: set[object] = set()
    for ids in covered[:k]:
        found.update(ids)
    return len(found) / n_relevant


def evidence_in_context(
    passages: Sequence[str],
    quotes: Sequence[str],
    n_tokens: int,
    count_tokens: Callable[[str], int],
) -> float:
    """Share of evidence quotes inside the first ``n_tokens`` of the assembled context.

    The context is the passages in rank order, as the prompt builder assembles them; a
    quote counts when the whole passage holding it fits within the budget (prompts are
    cut passage by passage, never mid-passage).

    >>> evidence_in_context(["a b", "c d", "e f"], ["c d", "e f"], 4, lambda t: len(t.split()))
    0.5
    """
    if not quotes:
        return 0.0
    used = 0
    inside: set[int] = set()
    for text, ids in zip(passages, matching_quotes(passages, quotes), strict=True):
        used += count_tokens(text)
        if used > n_tokens:
            break
        inside |= ids
    return len(inside) / len(quotes)


# --- answers ---------------------------------------------------------------------


def fact_matches(text: str, facts: Iterable[Sequence[str]]) -> list[bool]:
    """For each fact group, whether any of its alternatives occurs in ``text``.

    Citation markers are removed first: "opened on Mar [1]. 5" still states "Mar. 5".

    >>> fact_matches("Rebuilt 12 bridges in 2022 [1].", [["12", "twelve"], ["2023"]])
    [True, False]
    """
    bare = strip_markers(text)
    return [any(contains(bare, alt) for alt in group) for group in facts]


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD-style bag-of-words F1 between folded words (citation markers ignored).

    >>> round(token_f1("It was adopted in 2022 [1].", "Adopted in 2022."), 3)  # p=3/5, r=3/3
    0.75
    """
    pred = Counter(words(strip_markers(prediction)))
    ref = Counter(words(reference))
    overlap = sum((pred & ref).values())
    if not overlap:
        return 0.0
    precision = overlap / sum(pred.values())
    recall = overlap / sum(ref.values())
    return 2 * precision * recall / (precision + recall)


def abstention_scores(outcomes: Iterable[tuple[bool, bool]]) -> dict[str, float | None]:
    """Abstention as a classifier whose positives are the unanswerable questions.

    ``outcomes`` are ``(answerable, abstained)`` pairs. Returns ``abstention_precision``
    (abstentions that were right), ``abstention_recall`` (unanswerable questions that were
    declined) and ``false_abstention_rate`` (answerable questions that were declined);
    ``None`` where the denominator is empty.

    >>> abstention_scores([(False, True), (True, True), (True, False), (False, False)])
    {'abstention_precision': 0.5, 'abstention_recall': 0.5, 'false_abstention_rate': 0.5}
    """
    tp = fp = fn = tn = 0
    for answerable, abstained in outcomes:
        if abstained:
            tp, fp = (tp, fp + 1) if answerable else (tp + 1, fp)
        else:
            tn, fn = (tn + 1, fn) if answerable else (tn, fn + 1)
    return {
        "abstention_precision": tp / (tp + fp) if tp + fp else None,
        "abstention_recall": tp / (tp + fn) if tp + fn else None,
        "false_abstention_rate": fp / (fp + tn) if fp + tn else None,
    }


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) with linear interpolation, like numpy's default.

    >>> percentile([10, 20, 30, 40], 50), percentile([10, 20, 30, 40], 95)
    (25.0, 38.5)
    """
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return float(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo))
