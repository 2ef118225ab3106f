"""Answer -> HTML without a browser: escaping, chips renumbered 1..n, the quote marked in
its passage, no live link from document text, abstention and removed sentences shown."""

from __future__ import annotations

import re

import pytest

from rag.types import Answer, Citation, Passage
from ui.render import (
    answer_html,
    error_html,
    esc,
    highlight,
    question_html,
    removed_sentences,
    renumbering,
    sources_html,
    sources_panel,
    streaming_html,
)


def _passages(n: int = 5) -> list[Passage]:
    return [
        Passage(
            chunk_id=f"c{i}",
            source=f"00{i}_8055ac30947230f7.txt",
            text=f"Passage {i} says the Assembly calls for releasing {30 + i} prisoners.",
            score=1 - i / 10,
            lang="en",
            title=f"Resolution {2610 + i}",
            date="2025-09-30",
            locator=f"§{i}",
        )
        for i in range(1, n + 1)
    ]


def _answer(text: str, cited: dict[int, str], **kw: object) -> Answer:
    ps = _passages()
    cits = [
        Citation(n=n, source=ps[n - 1].source, chunk_id=ps[n - 1].chunk_id, quote=q)
        for n, q in cited.items()
    ]
    return Answer("How many?", text, False, citations=cits, passages=ps, **kw)  # type: ignore[arg-type]


def _chips(html: str) -> list[str]:
    return re.findall(r'<button type="button" class="cite t-\d+ n-(\d+)"', html)


def test_markers_are_renumbered_in_order_of_first_use():
    a = _answer("First [4]. Second [2, 4]. Third [5].", {4: "34", 2: "32", 5: "35"})
    assert renumbering(a.text, 5) == {4: 1, 2: 2, 5: 3}
    assert _chips(answer_html(a, 0)) == ["1", "2", "1", "3"]
    assert "[4]" not in answer_html(a, 0)


def test_a_marker_pointing_at_no_passage_gets_no_chip():
    a = _answer("Real [1]. Ghost [9].", {1: "31"})
    assert _chips(answer_html(a, 0)) == ["1"]
    assert "9" not in re.sub(r"<[^>]+>", "", answer_html(a, 0)).replace("0.", "")


@pytest.mark.parametrize(
    "evil",
    [
        "<script>alert(1)</script>",
        "<b>bold</b>",
        '<img src=x onerror="alert(1)">',
        "[click me](http://evil.example/)",
        "http://evil.example/ and www.evil.example",
        "7. The Assembly calls",
        "**strong** _em_ `code` # heading",
    ],
)
def test_question_answer_and_document_text_are_inert(evil):
    p = Passage("c1", "a.txt", f"Before {evil} after.", 0.5, title=f"T {evil}")
    a = Answer(
        question=evil,
        text=f"{evil} [1].",
        abstained=False,
        citations=[Citation(1, "a.txt", "c1", quote=evil)],
        passages=[p],
    )
    for html in (answer_html(a, 0), sources_html(a, 0), streaming_html(a.text)):
        assert "<script" not in html and "<img" not in html and "<b>" not in html
        assert "<a " not in html and "](" not in html and "http://" not in html
        assert "**" not in html and "`" not in html and "7." not in html


def test_esc_keeps_the_text_readable_once_decoded():
    import html as stdlib_html

    s = 'Resolution 2616 (2025) [link](http://x.y) <b> & «guillemets» Kazakhstan\'s "7." &amp;'
    assert stdlib_html.unescape(esc(s)) == s


def test_the_quote_is_marked_in_its_surrounding_text():
    a = _answer("Thirty-two are held [2].", {2: "releasing 32 prisoners"})
    html = sources_html(a, 3)
    cited = re.search(r'<article class="passage cited" data-turn="3" data-n="1".*?</article>', html)
    assert cited, html
    assert "Passage 2 says the Assembly calls for <mark>releasing 32 prisoners</mark>" in cited[0]
    assert html.count("<mark>") == 1  # uncited passages have no mark


def test_highlight_tolerates_case_and_white_space_and_merges_overlaps():
    text = "The Assembly\ncalls for the   release of 39 prisoners."
    assert highlight(text, ["assembly calls"]) == (
        "The <mark>Assembly\ncalls</mark> for the   release of 39 prisoners&#46;"
    )
    merged = highlight(text, ["release of 39", "of 39 prisoners"])
    assert merged.count("<mark>") == 1
    assert "<mark>release of 39 prisoners</mark>" in merged
    assert "<mark>" not in highlight(text, ["not in the text"])


def test_sources_show_title_date_locator_language_and_score_ranked():
    a = _answer("Yes [1].", {1: "31"})
    html = sources_html(a, 0)
    ranks = re.findall(r'data-rank="(\d+)"', html)
    assert ranks == ["1", "2", "3", "4", "5"]
    import html as stdlib_html

    first = stdlib_html.unescape(html.split("</article>")[0])
    assert "Resolution 2611" in first
    assert "2025-09-30 · §1 · EN · score 0.90" in first


def test_panel_shows_only_the_last_answer():
    a, b = _answer("A [1].", {1: "31"}), _answer("B [2].", {2: "32"})
    html = sources_panel([(0, a), (1, b)])
    assert '<section class="sources-turn" data-turn="0" hidden>' in html
    assert '<section class="sources-turn" data-turn="1">' in html


def test_abstention_is_distinct_with_the_closest_passages_one_click_away():
    a = Answer(question="Who won?", text="The documents don't say.", abstained=True,
               passages=_passages(3))  # fmt: skip
    html = answer_html(a, 2)
    assert 'class="answer abstained"' in html
    assert 'class="show-sources t-2"' in html
    assert "closest" in sources_html(a, 2).lower()
    assert not _chips(html)


def test_removed_sentences_are_shown_with_their_reason():
    trace = [
        {"step": "retrieve", "ms": 3},
        {"step": "removed", "sentence": "Forty were freed [2].", "reason": "40 is not in [2]"},
    ]
    a = _answer("Kept [1].", {1: "31"}, unsupported=["Forty were freed.", "Also gone [3]."],
                trace=trace)  # fmt: skip
    assert removed_sentences(a) == [
        ("Forty were freed.", "40 is not in [2]"),
        ("Also gone.", "no cited passage supports it"),
    ]
    html = answer_html(a, 0)
    assert "<del>Forty were freed&#46;</del>" in html
    assert "2 sentences removed by verification" in html


def test_an_empty_trace_and_no_unsupported_show_no_removed_block():
    assert "removed" not in answer_html(_answer("Kept [1].", {1: "31"}), 0)


def test_streaming_draft_hides_provisional_markers_and_says_it_is_checking():
    html = streaming_html("Partial answer [4]")
    assert "[4]" not in html and "&#91;4&#93;" not in html
    assert "Checking" in html
    assert 'class="cite"' not in html


def test_backend_and_time_are_shown_under_the_answer():
    a = _answer("Yes [1].", {1: "31"}, backend="extractive", timings={"total": 1234.0})
    assert '<div class="meta">answered by extractive · 1&#46;2 s</div>' in answer_html(a, 0)


def test_a_locator_repeating_the_title_is_shortened():
    p = Passage("c1", "a.txt", "Text.", 0.5, title="Resolution 2616 (2025)",
                locator="Resolution 2616 (2025), §5")  # fmt: skip
    a = Answer(question="q", text="Yes [1].", abstained=False, passages=[p],
               citations=[Citation(1, "a.txt", "c1", "Text")])  # fmt: skip
    import html as stdlib_html

    shown = stdlib_html.unescape(sources_html(a, 0))
    assert "§5 · EN" in shown and "(2025), §5" not in shown
    assert 'title="Source 1: Resolution 2616 (2025), §5"' in stdlib_html.unescape(answer_html(a, 0))
    french = Passage("c2", "a.txt", "Texte.", 0.5, lang="fr", title="Resolution 2616 (2025)",
                     locator="Résolution 2616 (2025), §4")  # fmt: skip
    b = Answer(question="q", text="Oui [1].", abstained=False, passages=[french])
    assert "§4 · FR" in stdlib_html.unescape(sources_html(b, 0))


def test_every_bubble_is_one_line_of_html_whatever_the_newlines():
    # The chat renders Markdown, where a blank line ends an HTML block and what follows
    # would be read as Markdown.
    text = "First para [1].\n\nSecond\nline [1]."
    a = _answer(text, {1: "31"}, unsupported=["Gone\n\nsentence."])
    abstained = Answer("q", "The documents\n\ndon't say.", True, passages=_passages(2))
    for html in (
        answer_html(a, 0),
        answer_html(abstained, 1),
        question_html("a\n\nb\nc"),
        streaming_html(text),
        error_html("one\n\ntwo"),
    ):
        assert "\n" not in html
    assert answer_html(a, 0).count("<p>") == 2 and "<br>" in answer_html(a, 0)


def test_waiting_shows_the_draft_and_why_it_does_not_move():
    from ui.render import waiting_html

    bubble = waiting_html("Half <b>a</b> draft [1]", "Waiting for the model: busy…")
    assert 'class="answer streaming waiting"' in bubble
    assert "<b>" not in bubble and "Half" in bubble and "busy…" in bubble
