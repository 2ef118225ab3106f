"""``Answer`` -> safe HTML: the chat bubble with citation chips, and the sources panel.

Pure functions, no gradio: every string that comes from a question, a model or a
document goes through ``esc``, which also neutralizes Markdown (the chat renders
Markdown), so ``<script>`` stays text and ``[link](http://x)`` is never a live link.

Markers ``[n]`` in ``Answer.text`` count positions in ``Answer.passages``; the reader
sees them renumbered 1..m in order of first use:

    >>> renumbering("A [4]. B [2, 4]. C [9].", n_passages=5)
    {4: 1, 2: 2}

A chip is ``<button class="cite t-T n-1">1</button>`` (the chat's sanitizer drops
``data-`` attributes, so the answer's turn T and the number ride in classes); the
sources panel has one ``<section data-turn="T">`` per answer whose passages carry the
same ``data-n``, so a click (``ui/assets.py``) can find, show and highlight its passage.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from rag.types import Answer, Citation, Passage

__all__ = [
    "answer_html",
    "error_html",
    "esc",
    "highlight",
    "plain_text",
    "question_html",
    "removed_sentences",
    "renumbering",
    "sources_html",
    "sources_panel",
    "streaming_html",
]

_MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
# Characters that HTML, Markdown or a URL autolinker would act on; as numeric entities
# they display the same and mean nothing.
_ENTITIES = {c: f"&#{ord(c)};" for c in "&<>\"'\\`*_[](){}#+-.!|~:=$^@"}
REMOVED_REASON = "no cited passage supports it"


def esc(text: str) -> str:
    """Text as inert HTML: tags escaped, Markdown and autolink syntax neutralized.

    >>> esc("<b>[x](http://a.b)</b>")
    '&#60;b&#62;&#91;x&#93;&#40;http&#58;//a&#46;b&#41;&#60;/b&#62;'
    """
    return "".join(_ENTITIES.get(c, c) for c in text)


def _numbers(group: str) -> list[int]:
    return [int(x) for x in re.split(r"\s*[,;]\s*", group) if x]


def renumbering(text: str, n_passages: int) -> dict[int, int]:
    """Passage position -> displayed number, 1..m in order of first use. Markers that
    point at no passage are left out (they get no chip)."""
    mapping: dict[int, int] = {}
    for m in _MARKER.finditer(text):
        for n in _numbers(m.group(1)):
            if 1 <= n <= n_passages and n not in mapping:
                mapping[n] = len(mapping) + 1
    return mapping


def plain_text(text: str) -> str:
    """The text without its ``[n]`` markers (for removed sentences and streaming drafts)."""
    return _MARKER.sub("", text).strip()


def _locator(p: Passage) -> str:
    """The locator without the title it may repeat, in any language: "Annual Report
    2024, §5" and "Rapport annuel 2024, §5" -> "§5"."""
    loc = p.locator
    if p.title and loc.startswith(p.title):
        loc = loc[len(p.title) :].lstrip(" ,;:-–")
    head, sep, tail = loc.rpartition(", §")
    return f"§{tail}" if sep and head else loc


def _chip(turn: int, shown: int, passage: Passage | None) -> str:
    where = ""
    if passage is not None:
        names = (passage.title or passage.source, _locator(passage))
        where = ": " + ", ".join(x for x in names if x)
    return (
        f'<button type="button" class="cite t-{turn} n-{shown}" '
        f'title="Source {shown}{esc(where)}">{shown}</button>'
    )


def _paragraphs(parts: Iterable[str]) -> str:
    return "".join(f"<p>{p}</p>" for p in parts if p.strip())


def _blocks(html: str) -> str:
    """Escaped text as paragraphs (blank lines) and line breaks, on one line: the chat's
    Markdown renderer ends an HTML block at a blank line."""
    return _paragraphs(re.split(r"\n\s*\n", html)).replace("\n", "<br>")


def _with_chips(text: str, passages: Sequence[Passage], mapping: dict[int, int], turn: int) -> str:
    """Escaped text, markers replaced by chips, blank lines as paragraph breaks."""
    out: list[str] = []
    pos = 0
    for m in _MARKER.finditer(text):
        out.append(esc(text[pos : m.start()]))
        chips = [
            _chip(turn, mapping[n], passages[n - 1]) for n in _numbers(m.group(1)) if n in mapping
        ]
        if chips:
            out.append('<span class="cites">' + "".join(chips) + "</span>")
        pos = m.end()
    out.append(esc(text[pos:]))
    return _blocks("".join(out))


def removed_sentences(a: Answer) -> list[tuple[str, str]]:
    """(sentence, reason) for each sentence verification removed: from ``Answer.trace``
    ``removed`` steps when the pipeline records them, else ``Answer.unsupported``."""
    removed: list[tuple[str, str]] = []
    for step in a.trace:
        if step.get("step") == "removed" and str(step.get("sentence", "")).strip():
            removed.append(
                (plain_text(str(step["sentence"])), str(step.get("reason") or REMOVED_REASON))
            )
    seen = {s for s, _ in removed}
    for sentence in a.unsupported:
        s = plain_text(sentence)
        if s and s not in seen:
            removed.append((s, REMOVED_REASON))
            seen.add(s)
    return removed


def _meta(a: Answer) -> str:
    bits = []
    if a.backend:
        bits.append(f"answered by {a.backend}")
    total = a.timings.get("total")
    if total is not None:
        bits.append(f"{total / 1000:.1f} s")
    return f'<div class="meta">{esc(" · ".join(bits))}</div>' if bits else ""


def answer_html(a: Answer, turn: int) -> str:
    """The chat bubble for a final answer: text with chips, removed sentences struck
    through with their reason, abstention styled apart, backend and time under it."""
    parts: list[str] = []
    if a.abstained:
        parts.append('<div class="answer abstained">')
        parts.append('<div class="abstained-label">Not in the documents</div>')
        parts.append(_blocks(esc(plain_text(a.text))))
        if a.passages:
            parts.append(
                f'<button type="button" class="show-sources t-{turn}">'
                f"Show the {len(a.passages)} closest passages</button>"
            )
    else:
        mapping = renumbering(a.text, len(a.passages))
        parts.append('<div class="answer">')
        parts.append(_with_chips(a.text, a.passages, mapping, turn))
    removed = removed_sentences(a)
    if removed:
        n = len(removed)
        items = "".join(
            f'<li><del>{esc(" ".join(s.split()))}</del> <span class="reason">({esc(r)})</span></li>'
            for s, r in removed
        )
        parts.append(
            f'<details class="removed"><summary>{n} sentence{"s" if n > 1 else ""} removed by '
            f"verification</summary><ul>{items}</ul></details>"
        )
    parts.append(_meta(a))
    parts.append("</div>")
    return "".join(parts)


def streaming_html(partial: str) -> str:
    """The bubble while the answer streams: a draft, markers hidden (their numbers are
    not final), and a note that each sentence is being checked."""
    draft = _blocks(esc(plain_text(partial)))
    return (
        f'<div class="answer streaming">{draft}'
        '<div class="checking">Checking each sentence against its source…</div></div>'
    )


def waiting_html(partial: str, status: str) -> str:
    """The bubble while the answer waits for the model: the draft so far, and why it
    does not move (``status``, e.g. another answer is being written)."""
    draft = _blocks(esc(plain_text(partial)))
    note = f'<div class="checking">{esc(status)}</div>'
    return f'<div class="answer streaming waiting">{draft}{note}</div>'


def question_html(question: str) -> str:
    """The user's bubble: the question as typed, inert."""
    return f'<div class="question">{_blocks(esc(question))}</div>'


def error_html(message: str) -> str:
    """One clear message for a failure the user can act on."""
    return f'<div class="answer error">{_blocks("⚠️ " + esc(message))}</div>'


def _span(text: str, quote: str) -> tuple[int, int] | None:
    """Where ``quote`` occurs in ``text``, ignoring case and runs of white space."""
    words = quote.split()
    if not words:
        return None
    pattern = r"\s+".join(re.escape(w) for w in words)
    m = re.search(pattern, text, re.IGNORECASE)
    return (m.start(), m.end()) if m else None


def highlight(text: str, quotes: Iterable[str]) -> str:
    """``text`` escaped, each quote found in it wrapped in ``<mark>``.

    >>> highlight("Open <all> 12 gates now.", ["12 gates"])
    'Open &#60;all&#62; <mark>12 gates</mark> now&#46;'
    """
    merged: list[list[int]] = []
    for start, end in sorted(s for q in quotes if (s := _span(text, q))):
        if merged and start <= merged[-1][1]:  # overlapping quotes: one mark
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out: list[str] = []
    pos = 0
    for start, end in merged:
        out.append(esc(text[pos:start]))
        out.append(f"<mark>{esc(text[start:end])}</mark>")
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


def _quotes(citations: Sequence[Citation]) -> dict[int, list[str]]:
    by_n: dict[int, list[str]] = {}
    for c in citations:
        if c.quote.strip():
            by_n.setdefault(c.n, []).append(c.quote)
    return by_n


def _translations(found: Mapping[str, str]) -> str:
    if not found:
        return ""
    langs = ", ".join(lang.upper() for lang in found)
    body = "".join(
        f'<div class="translation" lang="{esc(lang)}"><span class="lang">{esc(lang.upper())}'
        f"</span> {esc(text)}</div>"
        for lang, text in found.items()
    )
    return f'<details class="translations"><summary>Also in {langs}</summary>{body}</details>'


def sources_html(
    a: Answer,
    turn: int,
    *,
    visible: bool = True,
    translations: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """The sources of one answer, ranked: title (not the file name), date, locator,
    language and score; a cited passage has its chip number and its quote marked.
    ``translations`` (passage position as a string -> language -> text) adds the
    passage's parallel versions, folded, under it."""
    translations = translations or {}
    mapping = {} if a.abstained else renumbering(a.text, len(a.passages))
    quotes = _quotes(a.citations)
    heading = "Closest passages" if a.abstained else "Sources"
    items: list[str] = []
    for pos, p in enumerate(a.passages, 1):
        shown = mapping.get(pos)
        facts = [x for x in (p.date or "", _locator(p), (p.lang or "").upper()) if x]
        facts.append(f"score {p.score:.2f}")
        badge = f'<span class="n">{shown}</span>' if shown else ""
        text = highlight(p.text, quotes.get(pos, [])) if shown else esc(p.text)
        items.append(
            f'<article class="passage{" cited" if shown else ""}" data-turn="{turn}" '
            f'data-n="{shown or ""}" data-rank="{pos}">'
            f'<header>{badge}<span class="title">{esc(p.title or p.source)}</span>'
            f'<span class="facts">{esc(" · ".join(facts))}</span>'
            f'<span class="file">{esc(p.source)}</span></header>'
            f'<div class="ptext">{text}</div>{_translations(translations.get(str(pos), {}))}'
            "</article>"
        )
    body = "".join(items) or '<p class="empty">No passage was retrieved.</p>'
    hidden = "" if visible else " hidden"
    return (
        f'<section class="sources-turn" data-turn="{turn}"{hidden}>'
        f"<h3>{heading} for “{esc(a.question)}”</h3>{body}</section>"
    )


EMPTY_PANEL = '<p class="empty">Ask a question: its sources appear here.</p>'


def sources_panel(
    answers: Sequence[tuple[int, Answer]],
    translations: Mapping[int, Mapping[str, Mapping[str, str]]] | None = None,
) -> str:
    """The whole panel: every answer's sources, the last one shown. ``translations`` maps
    a turn to that answer's ``sources_html`` translations."""
    if not answers:
        return EMPTY_PANEL
    last = len(answers) - 1
    found = translations or {}
    return "".join(
        sources_html(a, t, visible=i == last, translations=found.get(t))
        for i, (t, a) in enumerate(answers)
    )
