"""Sentences that copy their quote but change what it says: word overlap cannot see them.

"not only cosmetic changes" for the source's "not cosmetic changes" shares every word with
its source, so a support score passes it; so does "Moreau emphasized ..." for
"engineers emphasized ...". ``keep_polarity`` puts the quote's polarity back;
``swapped_subject`` flags a claim that gives the quote's words to someone it does not name.
The words read here (negations, limiters, pronouns) come from the language data files.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from rag.text import fold, stopwords
from rag.text.languages import supported, words_of_all

__all__ = ["keep_polarity", "swapped_subject"]


#: Words that turn or narrow what a sentence says (``negations`` and ``limiters`` of the
#: language data): a claim copying its quote with one of them added ("not only cosmetic
#: changes" for "not cosmetic changes"), or with a negation left out, says something else
#: than the source, yet shares all its words.
_WORD = re.compile(r"\w+")


def _align(claim: str, quote: str) -> tuple[list[re.Match[str]], list[str], list[Any]]:
    """The claim's words (as matches: they carry their positions), the quote's words, and
    the edit operations turning the one into the other, case-insensitive
    (``difflib.SequenceMatcher.get_opcodes``)."""
    cwords = list(_WORD.finditer(claim))
    qwords = _WORD.findall(quote)
    ops = difflib.SequenceMatcher(
        a=[m.group(0).casefold() for m in cwords],
        b=[w.casefold() for w in qwords],
        autojunk=False,
    ).get_opcodes()
    return cwords, qwords, ops


def keep_polarity(claim: str, quote: str) -> str:
    """``claim`` with the limiters and negations it adds to words it copies from
    ``quote`` removed, and the negations it drops from them put back.

    A word counts as copied when the quote has the same words right before and after it
    (three at least in all): elsewhere the claim is paraphrasing, not copying.

    >>> keep_polarity("He called them not only cosmetic changes but real examples.",
    ...               "These are not cosmetic changes, but real examples.")
    'He called them not cosmetic changes but real examples.'
    >>> keep_polarity("The council does approve the new tariff.",
    ...               "The council does not approve the new tariff.")
    'The council does not approve the new tariff.'
    """
    cwords, qwords, ops = _align(claim, quote)
    edits: list[tuple[int, int, str]] = []
    for k in range(1, len(ops) - 1):
        tag, i1, i2, j1, j2 = ops[k]
        before, after = ops[k - 1], ops[k + 1]
        if before[0] != "equal" or after[0] != "equal":
            continue
        if (before[2] - before[1]) + (after[2] - after[1]) < 3:
            continue
        added = [m.group(0).casefold() for m in cwords[i1:i2]]
        if tag == "delete" and all(
            w in words_of_all("limiters") | words_of_all("negations") for w in added
        ):
            start, end = cwords[i1].start(), cwords[i2 - 1].end()
            while end < len(claim) and claim[end] == " ":
                end += 1
            edits.append((start, end, ""))
        elif tag == "insert" and all(
            w.casefold() in words_of_all("negations") for w in qwords[j1:j2]
        ):
            at = cwords[i1].start()
            edits.append((at, at, " ".join(qwords[j1:j2]) + " "))
    for start, end, text in sorted(edits, reverse=True):
        claim = claim[:start] + text + claim[end:]
    return claim


def swapped_subject(claim: str, quote: str) -> bool:
    """Whether ``claim`` copies ``quote`` but gives its words to someone the quote does
    not name: a name where the quote has another subject (not a pronoun, not a
    capitalised title), right before three or more copied words.

    >>> swapped_subject("Moreau emphasized the importance of the repairs.",
    ...                 "During the meeting, engineers emphasized the importance of the repairs.")
    True
    >>> swapped_subject("Moreau met with Lindqvist in Lyon.",
    ...                 "On the sidelines, he met with Lindqvist in Lyon.")
    False
    >>> swapped_subject("Yes, the ferry now stops at Lorvik.",
    ...                 "In spring the ferry now stops at Lorvik.")
    False
    """
    matches, qwords, ops = _align(claim, quote)
    cwords = [m.group(0) for m in matches]
    stand_ins = words_of_all("pronouns")
    # A capitalised function word opens a sentence ("I leader ...", "Le conseil ..."),
    # and so does a reply to a yes/no question ("Yes, gzip now accepts ..."): they name
    # nobody.
    function = frozenset().union(*(stopwords(c) for c in supported()), words_of_all("replies"))
    quoted = {w.casefold() for w in qwords}
    for k, (tag, i1, i2, _, j2) in enumerate(ops[:-1]):
        after = ops[k + 1]
        if tag != "replace" or after[0] != "equal" or after[2] - after[1] < 3:
            continue
        named = [w for w in cwords[i1:i2] if w[:1].isupper() and fold(w) not in function]
        subject = qwords[j2 - 1]  # the quote's word right before the copied ones
        if (
            named
            and len(named) == i2 - i1
            and not any(w.casefold() in quoted for w in named)
            and not subject[:1].isupper()
            and subject.casefold() not in stand_ins
        ):
            return True
    return False
