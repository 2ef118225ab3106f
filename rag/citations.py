"""Mechanical citation checking: every sentence of an answer must be supported by the
passage it cites, or it is re-pointed to the passage that does support it, or removed.

Support score (documented, deterministic): the share of the sentence's content terms
(stemmed, stop words removed; see ``rag.text.content_terms``) that occur in the passage,
and 0 when the sentence states a number that is neither in the passage's label (title,
year and locator, not the day of the document's date: see ``Passage.label``) nor in the
passage sentence that shares most of its words (or a runner-up sharing at least half as
many). Numbers are what small models invent most, and a "20" elsewhere in the passage
is no support for "delayed 20 times".
A sentence is supported when the score is >= ``THRESHOLD``. A supported sentence that
copies its quote but adds "only" (or another limiter or negation) to the copied words, or
leaves out the quote's "not", is put back to what the quote says (``keep_polarity``); one
that copies its quote but puts a name where the quote has another subject ("Olsen
emphasized ..." for "speakers emphasized ...") is unsupported (``swapped_subject``).

    >>> p = [Passage("c1", "a.txt", "The council calls for repairing 39 wooden bridges.", 1)]
    >>> verify("The council wants 39 wooden bridges repaired [1].", p).citations[0].n
    1
    >>> verify("The council wants 40 bridges repaired [1].", p).unsupported
    ['The council wants 40 bridges repaired.']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rag.grounding.copying import keep_polarity, swapped_subject
from rag.grounding.markers import (
    MARKER,
    ONE_MARKER,
    cited_numbers,
    normalize_markers,
    renumber,
    strip_markers,
)
from rag.grounding.restated import restates
from rag.text import content_terms, fold, numbers, stopwords
from rag.text.languages import words_of_all
from rag.types import Citation, Passage

#: ``translate(text, lang)``: ``text`` in language ``lang``, or None.
Translate = Callable[[str, str], "str | None"]

__all__ = [
    "THRESHOLD",
    "Verified",
    "keep_polarity",
    "normalize_markers",
    "renumber",
    "sentences",
    "support",
    "swapped_subject",
    "verify",
]

THRESHOLD = 0.5

_LEADING_MARKERS = re.compile(rf"^((?:\s*{ONE_MARKER})+)\s*(.*)$", re.DOTALL)
# The markers closing a sentence, and the word before them.
_TRAILING_MARKERS = re.compile(rf"(\w+)?(\W*)(?:{ONE_MARKER}\s*)+\W*$")
# A list number opening a paragraph ("4. The council ...", "9.2.2. consider ...").
_ENUMERATOR = re.compile(r"\(?\d+(?:\.\d+)*[.)]")
_SENT_END = re.compile(r"(?<=[.!?;])\s+|\n+")
_ABBREVIATION = re.compile(
    r"(?:^|[\s(])(?:Mr|Mrs|Ms|Dr|Prof|St|M|Mme|Mlle|Sig|Sen|Gen|Jr|Sr|No|Nos|n|nn|Art|art|"
    r"para|p|pp|Doc|doc|Vol|vol|cf|Cf|e\.g|i\.e|etc|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|"
    r"Nov|Dec)\.$"
)


@dataclass(frozen=True)
class Verified:
    """The outcome of checking an answer against its passages."""

    text: str
    citations: list[Citation] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    #: supported claims that only restated the question, shown as their quotes
    restated: list[str] = field(default_factory=list)


def sentences(text: str) -> list[str]:
    """Split an answer into sentences, keeping each sentence's markers with it.

    A full stop after an abbreviation does not end a sentence: a piece that starts with
    a digit or a lower-case letter ("Sept. 30", "No. 12", "n. 48"), or that follows
    "Mr.", "Doc." and the like, continues the sentence before it; so does the text after
    a paragraph number ("4. The council ..." is one sentence). A list item's number
    after a finished item ("...; 9.3. to increase ...") starts a new sentence. Markers
    written after the full stop ("... repaired. [1] Next") belong to the sentence before
    them:
    ["... repaired. [1]", "Next"]. The rules hold for English, French and Italian.
    """
    out: list[str] = []
    for part in _SENT_END.split(text.strip()):
        if not part or not part.strip():
            continue
        lead = _LEADING_MARKERS.match(part)
        if lead and out:
            out[-1] = f"{out[-1]} {lead[1].strip()}"
            part = lead[2]
        part = part.strip()
        if not part:
            continue
        # A list item's number after an item that ended ("...(la bibliothèque municipale); 9.3. à
        # accroître ...") opens the next item, unlike "Sept. 30" or "No. 12".
        next_item = (
            bool(out)
            and _ENUMERATOR.fullmatch(part) is not None
            and out[-1].endswith((";", "."))
            and not _ABBREVIATION.search(out[-1])
            and not _ENUMERATOR.fullmatch(out[-1])
        )
        if (
            out
            and not next_item
            and not MARKER.search(out[-1])
            and (
                part[0].isdigit()
                or part[0].islower()
                or _ABBREVIATION.search(out[-1])
                or _ENUMERATOR.fullmatch(out[-1])
            )
        ):
            out[-1] = f"{out[-1]} {part}"
        else:
            out.append(part)
    return out


def _anchors(text: str) -> tuple[set[str], set[str]]:
    """Numbers and names (capitalised words after the first, folded, 5-letter prefix):
    what a translation keeps. "Lisbona" and "Lisbon" share "lisbo"."""
    toks = re.findall(r"[^\W\d_][\w’'-]*", text)
    names = {fold(t)[:5] for t in toks[1:] if t[0].isupper() and len(t) >= 3}
    return numbers(text), names


def _cross_lingual_support(claim: str, passage: str, heading: str) -> tuple[float, str]:
    """A claim in another language than its passage shares few words with it. It is
    supported (1.0) when every number it states is in the passage sentence holding most
    of its anchors (numbers and names) or in the heading, and at least half of its
    anchors are there: a number, or two names at least; else 0.0. Names may be translated
    ("Biblioteca"/"Library"), numbers may not.

    "Le conseil demande de réparer 39 ponts en bois" is supported by
    "... repairing 39 wooden bridges ..." in §5 of "Harbour Report 2024"; "... réparer
    40 ponts" is not. What this cannot check is a wrong statement about the right
    names and numbers: the price of answering in the question's language.
    """
    nums, names = _anchors(claim)
    if not nums and not names:
        return 0.0, ""
    head_nums, head_names = _anchors(" " + heading)
    # The sentence holding most anchors; on a tie, the one holding more of the numbers
    # (they must be there, names may also come from the heading).
    best: tuple[tuple[int, int], str, set[str], set[str]] = ((-1, -1), passage[:300], set(), set())
    for sent in sentences(passage) or [passage]:
        s_nums, s_names = _anchors(" " + sent)
        hits = (len(nums & s_nums) + len(names & s_names), len(nums & s_nums))
        if hits > best[0]:
            best = (hits, sent, s_nums, s_names)
    _, quote, s_nums, s_names = best
    found_nums = nums & (s_nums | head_nums)
    found = len(found_nums) + len(names & (s_names | head_names))
    if found_nums != nums or not (found_nums or found >= 2) or 2 * found < len(nums) + len(names):
        return 0.0, ""
    return 1.0, quote


def support(
    sentence: str,
    passage: str,
    lang: str = "en",
    heading: str = "",
    passage_lang: str | None = None,
    translate: Translate | None = None,
) -> tuple[float, str]:
    """Support score of ``sentence`` by ``passage`` and the passage sentence that best
    matches it (the quote). See the module docstring for the definition.

    ``heading`` is what the model saw around the passage text (its title, year and
    locator, ``Passage.label``): "Harbour Report 2024" is a fact of the
    source too.
    A claim in another language than the passage (``passage_lang``) is checked by its
    numbers and names (``_cross_lingual_support``); when they do not support it and a
    ``translate(text, lang)`` is given (``rag.grounding.translate``), the claim put into
    the passage's language is scored by the same rules as a claim written in it.
    """
    claim = strip_markers(sentence)
    terms = content_terms(claim, lang)
    if not terms:
        return 0.0, ""
    if passage_lang and passage_lang != lang:
        score, quote = _cross_lingual_support(claim, passage, heading)
        translated = translate(claim, passage_lang) if translate and not score else None
        return support(translated, passage, passage_lang, heading) if translated else (score, quote)
    known = f"{heading}\n{passage}" if heading else passage
    parts = sentences(passage) or [passage]
    overlaps = [len(terms & content_terms(s, lang)) for s in parts]
    order = sorted(range(len(parts)), key=lambda i: -overlaps[i])
    # Numbers must come from where the claim's words are (its best-matching passage
    # sentences, or the heading), not from anywhere: "delayed 20 times" is not supported
    # by "... for the twenty-fifth time ... 20 January 2022".
    top = overlaps[order[0]]
    near = " ".join([heading, *(parts[i] for i in order[:2] if overlaps[i] * 2 >= top)])
    if not numbers(claim) <= numbers(near):
        return 0.0, ""
    score = len(terms & (content_terms(known, lang) | content_terms(known, "en"))) / len(terms)
    quote = parts[order[0]] if overlaps[order[0]] > 0 else passage[:300]
    return score, quote


def _dangling(sentence: str, lang: str) -> bool:
    """Whether the sentence's closing markers stand where its object should be: the word
    before them is a function word ("approvato da [1][2][3].", "They are [2] and [3].") or
    the sentence stops at a colon ("... asks the harbour office to: [1]."). A comma
    before the markers is not enough: "... was opened on December 8, 2023, [1]." is
    whole (measured: refusing it cost a correct answer)."""
    m = _TRAILING_MARKERS.search(sentence)
    if not m:
        return False
    if m[2].strip() == ":":
        return True  # "Le conseil demande au port de: [1]." (a measured case, reworded)
    word = fold(m[1] or "")
    if word in words_of_all("pronouns"):
        return False  # "The council adopted it [1]." is whole
    return word in stopwords(lang)  # "par an [1]" is whole: "an" is French for year


#: A supported claim whose cited passages hold less than this share of its words...
COMPLETE_BELOW = 0.8
#: ...also cites the passage that adds at least this much support (the rest of the claim).
COMPLETE_GAIN = 0.15


def _complete(
    claim: str,
    good: list[int],
    passages: Sequence[Passage],
    lang: str,
    scored: dict[int, tuple[float, str]],
) -> list[int]:
    """Add the citation a supported claim is missing: "Olsen signed the harbour lease
    in Bergen on Sept. 30 [1]." cites the signing sentence, and the place and
    date are in another passage, which the claim then cites as well ([1][2]). Same-
    language passages only (the word-share score means nothing across languages)."""
    if len(good) != 1 or passages[good[0] - 1].lang != lang:
        return good

    def joint(ns: list[int]) -> float:
        return _joint_support(claim, [passages[n - 1] for n in ns], lang)

    base = joint(good)
    if base >= COMPLETE_BELOW:
        return good
    gains = {
        n: joint([*good, n]) - base
        for n, p in enumerate(passages, 1)
        if n not in good and p.lang == lang
    }
    best = max(gains, key=lambda n: gains[n], default=None)
    if best is None or gains[best] < COMPLETE_GAIN:
        return good
    scored[best] = _support(claim, passages[best - 1], lang)
    return sorted([*good, best])


def _joint_quote(claim: str, p: Passage, lang: str) -> str:
    """What to quote for a source that supports ``claim`` only together with another:
    its sentence sharing most words with the claim (two at least: one shared word is
    chance), or else its label ("Regolamento 48 (2024), §4" gave the "n. 48" of the
    claim)."""
    terms = content_terms(claim, lang)
    parts = sentences(p.text) or [p.text]
    best = max(parts, key=lambda s: len(terms & content_terms(s, lang)))
    return best if len(terms & content_terms(best, lang)) >= 2 else (p.label or p.text[:300])


def _support(
    claim: str, p: Passage, lang: str, translate: Translate | None = None
) -> tuple[float, str]:
    return support(claim, p.text, lang, p.label, p.lang or None, translate)


def _joint_support(claim: str, ps: Sequence[Passage], lang: str) -> float:
    """Support of ``claim`` by several passages read together, titles and locators
    included."""
    return support(claim, "\n".join(p.text for p in ps), lang, " ".join(p.label for p in ps))[0]


def verify(
    text: str,
    passages: Sequence[Passage],
    *,
    lang: str = "en",
    translate: Translate | None = None,
    question: str = "",
) -> Verified:
    """Check every sentence of ``text`` against the passages its ``[n]`` markers name.

    Markers pointing at no passage are dropped. A sentence whose cited passages don't
    support it is re-pointed to a passage that does (the model often cites the wrong
    number), else removed and listed in ``unsupported``. Uncited sentences get the
    same treatment, so every kept sentence carries at least one verified marker.
    ``translate`` lets a claim in another language than its source be read in the
    source's language (``support``). A supported claim that only restates ``question``
    (``rag.grounding.restated``) is shown as the source sentence that supports it.
    """
    from rag.text.lang import question_lang as detect_lang

    kept: list[str] = []
    unsupported: list[str] = []
    restated: list[str] = []
    shown: set[str] = set()
    cites: dict[int, Citation] = {}
    for sent in sentences(normalize_markers(text)):
        claim = strip_markers(sent)
        if not claim or not re.search(r"\w", claim):
            continue  # a reply that is only "[1]" says nothing
        # The model sometimes answers a French question in English: such a sentence is
        # read as English (its stems, and the cross-language check for a French source).
        clang = "en" if lang != "en" and detect_lang(claim) == "en" else lang
        if _dangling(sent, clang) or claim.endswith("?"):
            unsupported.append(claim)  # "It was approved by [1][2]." names nothing; a
            continue  # question (the model echoing the user's) asserts nothing
        cited = [n for n in dict.fromkeys(cited_numbers(sent)) if 1 <= n <= len(passages)]
        scored = {n: _support(claim, passages[n - 1], clang, translate) for n in cited}
        good = [n for n in cited if scored[n][0] >= THRESHOLD]
        # "X [1] and Y [2]": together the cited passages may hold what each lacks.
        joint = not good and len(cited) > 1
        if joint and _joint_support(claim, [passages[n - 1] for n in cited], clang) >= THRESHOLD:
            good = cited
        if not good:
            others = {
                n: _support(claim, p, clang, translate)
                for n, p in enumerate(passages, 1)
                if n not in cited
            }
            best = max(others, key=lambda n: others[n][0], default=None)
            if best is not None and others[best][0] >= THRESHOLD:
                good, scored = [best], {**scored, best: others[best]}
        if not good:
            unsupported.append(claim)
            continue
        good = _complete(claim, good, passages, clang, scored)
        quote = scored[good[0]][1] if scored.get(good[0]) else ""
        if question and quote and restates(claim, question, clang):
            restated.append(claim)
            if quote in shown:
                continue  # two restatements citing one sentence: it is shown once
            claim = quote
        elif passages[good[0] - 1].lang in ("", clang) and quote:
            if swapped_subject(claim, quote):
                unsupported.append(claim)  # "Olsen emphasized" for "speakers emphasized"
                continue
            claim = keep_polarity(claim, quote)
        shown.add(claim)
        end = claim[-1] if claim[-1] in ".!?;:" else ""
        body = (claim[:-1] if end else claim).rstrip(" ,")  # "8, 2023, [1]." -> "2023 [1]."
        kept.append(f"{body} {''.join(f'[{n}]' for n in good)}{end}")
        for n in good:
            if n not in cites:
                p = passages[n - 1]
                cites[n] = Citation(
                    n=n,
                    source=p.source,
                    chunk_id=p.chunk_id,
                    quote=scored[n][1] or _joint_quote(claim, p, clang),
                    locator=p.locator,
                    title=p.title,
                )
    return Verified(
        text=" ".join(kept),
        citations=[cites[n] for n in sorted(cites)],
        unsupported=unsupported,
        restated=restated,
    )
