"""Contextual compression: the LLM sees the sentences that matter, not whole chunks.

Prompt processing runs at ~40-70 tokens/s on two cores, so every context token costs time
to first token. Every retrieved sentence is ranked (``rank_sentences``).
``compress`` keeps the best sentences, greedily, until the token budget is spent, and
rebuilds each passage from its kept sentences in their original order ("…" where text was
skipped). Passages with nothing kept are dropped; the rest are ordered by
their best kept sentence and renumbered [1..m], so [1] holds the sentence most likely to
answer: a small model reads and cites [1] first.

    compress(passages, rank_sentences(wordings, passages, embedder), 256)
    # 8 chunks of ~160 tokens -> e.g. 4 passages of 1-3 sentences, ~256 tokens in all
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from rag.chunking import clauses, count_tokens
from rag.text import content_terms
from rag.types import Passage

__all__ = ["PASSAGE_OVERHEAD_TOKENS", "compress", "rank_sentences", "with_replies"]

#: What the <source ...> wrapper, title, date and locator add per passage in the prompt.
PASSAGE_OVERHEAD_TOKENS = 30


def compress(
    passages: Sequence[Passage],
    ranked: Sequence[tuple[int, str, float]],
    budget_tokens: int,
) -> list[Passage]:
    """Passages cut down to their best sentences within ``budget_tokens``.

    Args:
        passages: the retrieved passages, best first.
        ranked: ``(passage_index, sentence, score)`` for candidate sentences
            (``rank_sentences``); sentences are verbatim substrings of passages.
        budget_tokens: cl100k tokens for all passage texts plus their wrappers.

    The best sentence is always kept, even over budget, so there is always a context.
    """
    chosen: dict[int, list[str]] = {}
    used = 0
    for index, sentence, _ in ranked:
        if not 0 <= index < len(passages) or sentence not in passages[index].text:
            continue
        cost = count_tokens(sentence) + (PASSAGE_OVERHEAD_TOKENS if index not in chosen else 0)
        if used + cost > budget_tokens and chosen:
            continue
        chosen.setdefault(index, []).append(sentence)
        used += cost
    # ``chosen`` is filled in ranking order: its keys are the passages by best sentence.
    return [replace(passages[i], text=_rebuild(passages[i].text, chosen[i])) for i in chosen]


def _rebuild(text: str, sentences: list[str]) -> str:
    """Kept sentences in document order, "…" marking gaps: 'A. B. C.' + [C, A] -> 'A. … C.'"""
    merged: list[list[int]] = []
    for start, end in sorted((text.find(s), text.find(s) + len(s)) for s in sentences):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts: list[str] = []
    for i, (start, end) in enumerate(merged):
        if i and text[merged[i - 1][1] : start].strip():
            parts.append("…")
        parts.append(text[start:end])
    return " ".join(parts)


#: A reply this short ("No.", "A: Yes.") is read with the sentence that explains it.
_BARE_REPLY_TOKENS = 8


def with_replies(text: str, units: Sequence[str]) -> list[str]:
    """``units`` (consecutive slices of ``text``) with each question joined to its reply.

    A question the document asks (an FAQ's "Q: ...?", a heading "How do I ...?") says
    nothing by itself, yet it is what matches a user's question best; what answers is
    the sentence after it. So a unit ending in "?" is read together with the next unit,
    (after any questions that follow it), and with one more when that reply is bare
    ("No."), as one slice of ``text``:

    >>> with_replies("Q: Is it free? A: No. It costs 5 euros. Done.",
    ...              ["Q: Is it free?", "A: No.", "It costs 5 euros.", "Done."])
    ['Q: Is it free? A: No. It costs 5 euros.', 'Done.']
    """
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    cursor = 0
    for unit in units:
        start = text.find(unit, cursor)
        cursor = start + len(unit)
        spans.append((start, cursor))
    i = 0
    while i < len(units):
        end = i
        if units[i].rstrip().endswith("?"):
            reply = i + 1
            while reply < len(units) and units[reply].rstrip().endswith("?"):
                reply += 1  # "Q: Is it free? And open?" is one question
            if reply < len(units):
                end = reply
                if count_tokens(units[end]) < _BARE_REPLY_TOKENS and end + 1 < len(units):
                    end += 1
        if any(s < 0 for s, _ in spans[i : end + 1]):  # not slices of text: leave them be
            end = i
        out.append(text[spans[i][0] : spans[end][1]] if end > i else units[i])
        i = end + 1
    return out


def rank_sentences(
    queries: Sequence[tuple[str, str]],
    passages: Sequence[Passage],
    embedder: Any,
) -> list[tuple[int, str, float]]:
    """Every sentence of ``passages`` as ``(passage_index, sentence, score)``, best first.

    ``queries`` are ``(wording, lang)`` pairs of one question (as asked, and its English
    version for another language). A sentence's score is the mean of two signals, each
    taken at its best over the wordings:
    - meaning: embedding cosine between the wording and the sentence;
    - words: the share of the wording's content terms (stemmed) found in the sentence,
      the sentence before it (which "It opened in 1999." refers to) or its passage's
      title and locator, each term weighted by its rarity among the candidate sentences
      (idf), so a rare name counts more than a word every sentence shares.
    Long sentences are read as their clauses (``rag.chunking.clauses``), and a question
    the document asks as one unit with its reply (``with_replies``).
    Neither signal has a threshold here: this only orders sentences for the context.
    """
    cands: list[tuple[int, str]] = []
    before: list[str] = []  # the sentence before each candidate, in its passage
    for i, p in enumerate(passages):
        units = with_replies(
            p.text, [s for s in clauses(p.text, p.lang or "en") if any(ch.isalnum() for ch in s)]
        )
        cands += [(i, s) for s in units]
        before += ["", *units[:-1]] if units else []
    if not cands or not queries:
        return []
    vecs = embedder.embed([q for q, _ in queries] + [s for _, s in cands])
    qv, sv = vecs[: len(queries)], vecs[len(queries) :]
    dense = (sv @ qv.T).max(axis=1)
    lexical = [0.0] * len(cands)
    for q, lang in queries:
        asked = content_terms(q, lang)
        if not asked:
            continue
        bags = [
            content_terms(f"{prev} {s} {passages[i].label}", lang) | content_terms(s, "en")
            for (i, s), prev in zip(cands, before, strict=True)
        ]
        weight = {
            t: math.log((len(bags) + 1) / (1 + sum(t in b for b in bags))) + 1.0 for t in asked
        }
        total = sum(weight.values())
        for k, bag in enumerate(bags):
            lexical[k] = max(lexical[k], sum(w for t, w in weight.items() if t in bag) / total)
    scored = [
        (i, s, round((float(dense[k]) + lexical[k]) / 2, 4)) for k, (i, s) in enumerate(cands)
    ]
    return sorted(scored, key=lambda c: -c[2])
