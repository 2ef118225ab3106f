"""Citation quality in the ALCE sense (Gao et al., 2023), with a documented support judge.

An answer is split into sentences ("claims"); each claim carries the passages its
``[n]`` markers point at. A *judge* decides whether a text supports a claim:

- **citation recall** of an answer: share of its claims whose cited passages, together,
  support the claim (a claim without citations counts as unsupported);
- **citation precision**: share of citations that are not *irrelevant*. A citation is
  irrelevant when its claim is unsupported, or when the passage alone does not support the
  claim while the claim's other citations still do without it (ALCE's definition);
- **groundedness**: claims supported by their cited passages, pooled over all answers.

The default judge is ``LexicalJudge``: a claim is supported when at least ``threshold``
(0.6) of its content words (folded, stop words removed, Snowball-stemmed in English,
French and Italian, numbers kept verbatim) occur in the evidence, and every number the
claim states occurs there too (numbers are what small models invent). It is a cheap,
deterministic entailment proxy: it rewards quoting and close paraphrase, and misses
support across languages or by synonyms, so cross-lingual answers score low with it.
``cross_lingual_judge`` puts a claim into its evidence's language first when the two
differ (an Italian answer from an English source) and then applies the lexical rules
unchanged; ``embedding_judge`` adds a cosine-similarity fallback for paraphrases, and
``llm_judge`` asks any ``rag.llm`` backend a yes/no entailment question:

    >>> judge = LexicalJudge()
    >>> judge("The council wants 40 bridges repaired.", "repairing 40 wooden bridges")
    True
    >>> judge("The council wants 40 bridges repaired.", "repairing 39 wooden bridges")
    False
    >>> judge("It wants 39 wooden bridges repaired.", "repairing 39 wooden bridges")
    True
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from rag.eval.metrics import fold
from rag.grounding.translate import backend_translator

if TYPE_CHECKING:
    from rag.llm.base import Backend

__all__ = [
    "Claim",
    "Judge",
    "LexicalJudge",
    "backend_translator",
    "citation_scores",
    "cross_lingual_judge",
    "embedding_judge",
    "llm_judge",
    "split_claims",
]

log = logging.getLogger(__name__)

#: A judge answers: does ``evidence`` support ``claim``?
Judge = Callable[[str, str], bool]

_MARKERS = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_LEADING_MARKERS = re.compile(r"^((?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+)\s*")
# A sentence ends at . ! ? when the next one starts like a sentence (capital, quote,
# bracket): "Mar. 5" and "Ref. 417" stay whole.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\[«“\"'(A-ZÀ-ÖØ-Þ])")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_NUMBER = re.compile(r"\d+")

_STOP = {
    "en": "a about above after again against all also am an and any are as at be because "
    "been before being below between both but by can could did do does doing down during "
    "each few for from further had has have having he her here hers him his how i if in "
    "into is it its itself just me more most my no nor not now of off on once only or other "
    "our ours out over own same she should so some such than that the their theirs them "
    "then there these they this those through to too under until up very was we were what "
    "when where which while who whom why will with would you your according documents "
    "document say says said",
    "fr": "a au aux avec ce ces cet cette dans de des du elle elles en est et etre eu il ils "
    "je la le les leur leurs lui ma mais me meme mes moi mon ne nos notre nous on ont ou par "
    "pas pour qu que qui sa se ses son sont sur ta te tes toi ton tu un une vos votre vous "
    "y ete etait sont selon l d s n c j m qu",
    "it": "a ad al alla alle allo agli ai anche che chi ci come con cui da dal dalla dalle "
    "dei del della delle dello degli di e ed gli ha hanno i il in la le lo ma ne nei nel "
    "nella nelle nello negli non o per piu quale quali questo questa se si sia sono su sua "
    "sue suo suoi sul sulla tra un una uno e stato stata secondo l d dell all nell",
}


@cache
def _stopwords() -> frozenset[str]:
    return frozenset(w for text in _STOP.values() for w in text.split())


@cache
def _stemmers() -> tuple[Any, ...]:
    from rag.text import stemmer

    return tuple(stemmer(lang) for lang in ("en", "fr", "it"))


def _terms(text: str) -> list[set[str]]:
    """Each content word as the set of its stems (one per language); numbers as is."""
    stops = _stopwords()
    out = []
    for w in fold(text).split():
        if w in stops or (len(w) < 3 and not w.isdigit()):
            continue
        out.append({w} if w.isdigit() else {w, *(s.stemWord(w) for s in _stemmers())})
    return out


@dataclass
class LexicalJudge:
    """Supported when >= ``threshold`` of the claim's content words are in the evidence
    and all of its numbers are (see the module docstring)."""

    threshold: float = 0.6
    name: str = "lexical"

    def score(self, claim: str, evidence: str) -> float:
        """Share of the claim's content words found in the evidence (0..1)."""
        claim_terms = _terms(claim)
        if not claim_terms:
            return 0.0
        have = set().union(*_terms(evidence)) if evidence.strip() else set()
        return sum(1 for t in claim_terms if t & have) / len(claim_terms)

    def __call__(self, claim: str, evidence: str) -> bool:
        numbers = set(_NUMBER.findall(fold(claim)))
        if not numbers <= set(_NUMBER.findall(fold(evidence))):
            return False
        return self.score(claim, evidence) >= self.threshold


def embedding_judge(
    embed: Callable[[list[str]], Sequence[Sequence[float]]],
    threshold: float = 0.75,
    lexical: LexicalJudge | None = None,
) -> Judge:
    """Lexical support OR cosine(claim, evidence) >= ``threshold``.

    ``embed`` maps texts to vectors, e.g. ``rag.embeddings``' model ``encode``. The cosine
    path catches paraphrases; keep the threshold high, because topical similarity (same
    subject, different fact) is not entailment.
    """
    lex = lexical or LexicalJudge()

    def judge(claim: str, evidence: str) -> bool:
        if lex(claim, evidence):
            return True
        a, b = embed([claim, evidence])
        dot = sum(x * y for x, y in zip(a, b, strict=True))
        norm = (sum(x * x for x in a) * sum(y * y for y in b)) ** 0.5
        return bool(norm) and dot / norm >= threshold

    judge.name = "embedding"  # type: ignore[attr-defined]
    return judge


def cross_lingual_judge(
    translate: Callable[[str, str], str | None], base: Judge | None = None
) -> Judge:
    """``base`` (default ``LexicalJudge``), and for a claim in another language than its
    evidence, ``base`` on the claim put into the evidence's language.

    A lexical judge matches words, so without this every French or Italian answer from an
    English source counts as unsupported, true or not ("La ville a obtenu le statut de
    port franc ..." against "The town was granted free-port status").
    ``translate(text, lang)`` is e.g. ``backend_translator(backend)``. The translation is
    judged by the same rules as an English claim (every number verbatim, 60% of the
    content words), so the judge is no more lenient across languages than within one, and
    no less blind: "has repaired 39" passes against "calls for repairing 39" in any
    language. Measured on the eval set's gold pairs (session 6): 7/7 French and Italian
    references against their English evidence accepted, 0 of 291 against other evidence.
    """
    from rag.text.lang import question_lang as detect_lang

    lexical = base or LexicalJudge()
    memo: dict[tuple[str, str], str | None] = {}

    def judge(claim: str, evidence: str) -> bool:
        if lexical(claim, evidence):
            return True
        target = detect_lang(evidence[:3000])
        if detect_lang(claim) == target:
            return False
        if (claim, target) not in memo:
            memo[(claim, target)] = translate(claim, target)
            log.debug("judged in %s as: %s", target, memo[(claim, target)])
        translated = memo[(claim, target)]
        return translated is not None and lexical(translated, evidence)

    judge.name = f"cross-lingual {getattr(lexical, 'name', 'judge')}"  # type: ignore[attr-defined]
    judge.translations = memo  # type: ignore[attr-defined]
    return judge


_LLM_PROMPT = (
    "You check citations. Answer with one word, yes or no: does the EVIDENCE state or "
    "directly imply the CLAIM?\n\nEVIDENCE:\n<<<\n{evidence}\n>>>\n\nCLAIM: {claim}\n\nAnswer:"
)


def llm_judge(backend: Backend, max_evidence_chars: int = 4000) -> Judge:
    """A judge that asks an LLM backend (any ``rag.llm`` backend) a yes/no question.

    Verdicts are cached per (claim, evidence), since precision re-asks sub-sets.
    """
    from rag.llm.base import Request

    memo: dict[tuple[str, str], bool] = {}

    def judge(claim: str, evidence: str) -> bool:
        key = (claim, evidence)
        if key not in memo:
            prompt = _LLM_PROMPT.format(evidence=evidence[:max_evidence_chars], claim=claim)
            request = Request(
                question=claim,
                messages=[{"role": "user", "content": prompt}],
                max_tokens=3,
                temperature=0.0,
            )
            reply = backend.complete(request).strip().lower()
            memo[key] = reply.startswith(("yes", "oui", "si", "sì"))
        return memo[key]

    judge.name = f"llm:{getattr(backend, 'name', 'backend')}"  # type: ignore[attr-defined]
    return judge


@dataclass(frozen=True)
class Claim:
    """One answer sentence without its markers, and the marker numbers it carries."""

    text: str
    cites: tuple[int, ...] = field(default_factory=tuple)


def split_claims(text: str) -> list[Claim]:
    """Sentences of an answer with their citation markers.

    Markers that open a sentence belong to the previous one ("... 2022. [1] Next").

    >>> for c in split_claims("Opened on 30 Sept. 2024 [1]. Müller was architect. [2][3]"):
    ...     print(c)
    Claim(text='Opened on 30 Sept. 2024.', cites=(1,))
    Claim(text='Müller was architect.', cites=(2, 3))
    """
    raw: list[str] = []
    for line in text.splitlines():
        line = _BULLET.sub("", line)
        for part in _SENTENCE_END.split(line):
            lead = _LEADING_MARKERS.match(part)
            if lead and raw:
                raw[-1] += " " + lead.group(1)
                part = part[lead.end() :]
            if part.strip():
                raw.append(part)
    claims = []
    for sentence in raw:
        cites = [int(n) for group in _MARKERS.findall(sentence) for n in re.split(r"[,;]", group)]
        bare = re.sub(r"\s+([.,;:!?])", r"\1", _MARKERS.sub("", sentence))
        bare = re.sub(r"\s+", " ", bare).strip()
        # A lone marker, a heading or a lead-in ("Sources:", "It asks to:") is not a claim.
        if _terms(bare) and not (bare.endswith(":") and not cites):
            claims.append(Claim(bare, tuple(dict.fromkeys(cites))))
    return claims


def citation_scores(text: str, passages: Sequence[str], judge: Judge) -> dict[str, Any]:
    """ALCE citation recall and precision of one answer against its numbered passages.

    ``passages[n - 1]`` is what marker ``[n]`` points at; a marker outside the list
    cites nothing (and counts as an irrelevant citation).

    Returns ``recall``, ``precision`` (0.0 when the answer has claims but no citation),
    ``supported``/``claims`` counts and per-claim verdicts; recall and precision are
    ``None`` for an answer without claims.
    """
    verdicts = []
    n_cites = precise = supported = 0
    for claim in split_claims(text):
        cited = [passages[n - 1] if 0 < n <= len(passages) else "" for n in claim.cites]
        ok = bool(cited) and judge(claim.text, "\n\n".join(cited))
        supported += ok
        n_cites += len(cited)
        per_cite = []
        for i, passage in enumerate(cited):
            others = cited[:i] + cited[i + 1 :]
            alone = bool(passage) and judge(claim.text, passage)
            needed = alone or not (others and judge(claim.text, "\n\n".join(others)))
            per_cite.append(bool(ok and needed))
        precise += sum(per_cite)
        verdicts.append(
            {"text": claim.text, "cites": list(claim.cites), "supported": ok, "precise": per_cite}
        )
    n = len(verdicts)
    return {
        "recall": supported / n if n else None,
        "precision": (precise / n_cites if n_cites else 0.0) if n else None,
        "supported": supported,
        "claims": n,
        "citations": n_cites,
        "verdicts": verdicts,
    }
