"""Pure text normalization: hyphen joins, page-break rejoins, artefacts, labels.

Every document here is invented: the rules must hold for text never seen before.
"""

from __future__ import annotations

import pytest

from rag.ingest.markup import (
    clean_inline,
    split_glued_headings,
    strip_markdown,
    strip_terminal_codes,
)
from rag.ingest.normalize import (
    Block,
    hyphenated_words,
    is_artefact,
    looks_like_heading,
    normalize_paragraphs,
    paragraph_label,
    pretty_heading,
    reflow_lines,
    rejoin_broken,
    split_paragraphs,
)

# A body paragraph cut at the bottom of a page, and the rest of it on the next page.
CUT = "4. The board approved the new budget after a long debate and, on the"
REST = "following morning, asked the treasurer for a revised forecast."
JOINED = f"{CUT} {REST}"


def _texts(text: str) -> list[str]:
    return [b.text for b in normalize_paragraphs(text)]


@pytest.mark.parametrize(
    ("pieces", "joined"),
    [
        (["11.1. and ensure me-", "aningful public consultation;"], "meaningful public"),
        (["verso la cit-", "tà, seguendo la strada."], "verso la città, seguendo"),
        (["il demande ur-", "gemment une réponse."], "il demande urgemment une"),
    ],
)
def test_hyphen_split_across_page_break_is_joined(pieces: list[str], joined: str) -> None:
    out = rejoin_broken(pieces)
    assert len(out) == 1
    assert joined in out[0]


def test_real_hyphenated_words_are_kept() -> None:
    text = "The harbour is a well-known landmark.\n\nIt runs a non-profit ferry."
    assert _texts(text) == ["The harbour is a well-known landmark.", "It runs a non-profit ferry."]


def test_a_word_the_document_hyphenates_keeps_its_hyphen_across_a_line_end() -> None:
    text = (
        "The man-db package indexes pages. The suite called man-\n"
        "db is fast, and its ex-\nample is short.\n"
    )
    assert _texts(text) == [
        "The man-db package indexes pages. The suite called man-db is fast, and its example "
        "is short."
    ]
    # The same across a page break, and on a PDF page.
    assert rejoin_broken(["see man-db and man-", "db."], hyphenated_words("man-db")) == [
        "see man-db and man-db."
    ]
    assert reflow_lines("A long line about the tool man-\ndb ends.", frozenset({"man-db"})) == (
        "A long line about the tool man-db ends."
    )


def test_hyphen_before_capital_is_not_a_split_word() -> None:
    assert rejoin_broken(["the Anglo-", "Saxon period."]) == ["the Anglo-", "Saxon period."]


def test_paragraph_cut_by_a_footnote_is_rejoined_and_the_footnote_follows() -> None:
    pieces = [CUT, "(1) Minutes of the meeting of 3 May.", REST, "5. The board adjourned."]
    assert rejoin_broken(pieces) == [
        JOINED,
        "(1) Minutes of the meeting of 3 May.",
        "5. The board adjourned.",
    ]


def test_running_header_after_a_footnote_is_moved_not_dropped() -> None:
    # The page break printed a footnote, then the next page's header, inside paragraph 4.
    text = (
        f"{CUT}\n\n"
        "(1) *Minutes* of the meeting of 3 May (2nd sitting).\n\n"
        "Draft for comment only.\n\n"
        f"{REST}\n\n"
        "5. The board adjourned."
    )
    assert _texts(text) == [
        JOINED,
        "(1) Minutes of the meeting of 3 May (2nd sitting).",
        "Draft for comment only.",
        "5. The board adjourned.",
    ]


def test_running_header_that_recurs_is_looked_past_without_a_footnote() -> None:
    header = "Harbour Authority Annual Report"
    text = "\n\n".join(
        [
            header,
            "1. The harbour handled more ships than in any previous year, and most of the",
            header,
            "growth came from the new ferry line to the islands.",
            "2. Ticket prices did not change.",
        ]
    )
    assert _texts(text) == [
        header,
        "1. The harbour handled more ships than in any previous year, and most of the growth "
        "came from the new ferry line to the islands.",
        header,
        "2. Ticket prices did not change.",
    ]


def test_short_line_seen_once_without_a_footnote_is_not_looked_past() -> None:
    # Nothing says this is a page break: it may be a wrapped tail or a caption.
    pieces = [CUT, "Figure 2 shows the forecast.", REST]
    assert rejoin_broken(pieces) == pieces


@pytest.mark.parametrize(
    "pieces",
    [
        # a definition list of short terms and glosses, the same gloss twice
        ["pending", "Not yet reviewed.", "accepted", "Not yet reviewed.", "rejected"],
        # an enumeration after a cut paragraph: "c)" is a list marker, not a word
        [CUT, "(1) A note.", "Draft for comment only.", "c) Ask the treasurer."],
        # a heading-like line is not a body paragraph cut by a page break
        [
            "Budget Overview And Forecast For The Coming Years Of Harbour Operations",
            "(1) A note.",
            "Draft for comment only.",
            "figures are provisional.",
        ],
        # code: a path, not running text
        [CUT, "(1) A note.", "Draft for comment only.", "src/budget.py holds the forecast."],
        # a line of code that recurs in a listing is not a running header
        [CUT, "Total = sum(values);", "Total = sum(values);", REST],
    ],
)
def test_layouts_that_are_not_page_breaks_are_left_alone(pieces: list[str]) -> None:
    assert rejoin_broken(pieces) == pieces


def test_more_than_three_interruptions_are_not_looked_past() -> None:
    notes = ["(1) One.", "(2) Two.", "(3) Three.", "Draft for comment only."]
    assert rejoin_broken([CUT, *notes, REST]) == [CUT, *notes, REST]
    assert rejoin_broken([CUT, *notes[1:], REST]) == [JOINED, *notes[1:]]


def test_header_glued_to_a_footnote_stays_in_it() -> None:
    # Nothing marks where the footnote ends and the header starts: the text is kept.
    note = "(1) Minutes of 3 May. Draft for comment only."
    assert rejoin_broken([CUT, note, REST]) == [JOINED, note]


def test_open_paragraph_before_a_label_is_not_joined() -> None:
    pieces = ["7. ... et des libertés publiques", "8. Le conseil reste attentif."]
    assert rejoin_broken(pieces) == pieces


def test_long_paragraph_cut_before_a_capitalized_word_is_joined() -> None:
    left = "10.2 use the full range of tools and expertise available in the office of the"
    right = "Harbour Master, in particular in the recently extended areas of safety at sea."
    assert rejoin_broken([left, right]) == [f"{left} {right}"]


def test_short_caption_is_not_joined_with_the_next_sentence() -> None:
    pieces = ["Photo credit: harbour.example.org", "The statement, signed by the Chair."]
    assert rejoin_broken(pieces) == pieces


@pytest.mark.parametrize(
    "artefact",
    ["PAGINA BIANCA", "This page intentionally left blank", "190122182980", "12", "- 7 -", ""],
)
def test_page_artefacts_are_recognized(artefact: str) -> None:
    assert is_artefact(artefact)


@pytest.mark.parametrize(
    "content", ["Draft for comment only.", "Draft version", "Version 2 (2024)", "2024 (2025)"]
)
def test_real_short_content_is_not_an_artefact(content: str) -> None:
    assert not is_artefact(content)


def test_inline_artefacts() -> None:
    assert clean_inline("Ref. **A-12**") == "Ref. A-12"
    assert clean_inline("(1) *Board minutes* of") == "(1) Board minutes of"
    assert clean_inline("CHAPTER 3 (2024) ⁽¹⁾") == "CHAPTER 3 (2024)"
    assert clean_inline("(2^e édition) (3^a edizione)") == "(2e édition) (3a edizione)"
    assert clean_inline("« bruyantes »  and “quotes”\tkept") == "« bruyantes » and “quotes” kept"


def test_glued_heading_is_split_in_two() -> None:
    merged = "RAPPORTO ANNUALE DEL PORTO**CAPITOLO 3 (2024) ⁽¹⁾**"
    assert [clean_inline(p) for p in split_glued_headings(merged)] == [
        "RAPPORTO ANNUALE DEL PORTO",
        "CAPITOLO 3 (2024)",
    ]


def test_wrapped_lines_are_joined_and_separate_lines_kept() -> None:
    text = (
        "Il consiglio dovrebbe sostenere il porto\n"
        "nella costruzione del nuovo molo\n\n"
        "Photo credit: harbour.example.org\n"
        "The statement, signed by the Harbour Master and the Mayor of the town after the "
        "meeting, emphasized safety."
    )
    assert split_paragraphs(text) == [
        "Il consiglio dovrebbe sostenere il porto nella costruzione del nuovo molo",
        "Photo credit: harbour.example.org",
        "The statement, signed by the Harbour Master and the Mayor of the town after the "
        "meeting, emphasized safety.",
    ]


@pytest.mark.parametrize(
    ("paragraph", "label"),
    [
        ("9.2.1. improve the forecast", "9.2.1"),
        ("9.2.1 migliorare le previsioni", "9.2.1"),
        ("9.1 usare il bilancio", "9.1"),
        ("13. The board should", "13"),
        ("2022 was a year of growth", None),
        ("(1) Board minutes", None),
        ("The board", None),
    ],
)
def test_paragraph_labels(paragraph: str, label: str | None) -> None:
    assert paragraph_label(paragraph) == label


def test_headings_are_recognized_and_prettified() -> None:
    assert looks_like_heading("RAPPORT ANNUEL 2024")
    assert looks_like_heading("A Comprehensive Approach to Safety")
    assert not looks_like_heading("Photo credit: the harbour")
    assert not looks_like_heading("9.1 usare il bilancio")
    assert not looks_like_heading("The statement was released during the session.")
    assert pretty_heading("CAPITOLO 3 (2024)") == "Capitolo 3 (2024)"


def test_terminal_formatting_is_what_a_reader_of_the_page_sees() -> None:
    # As `man` and `groff -Tutf8` print: ANSI bold/underline, nroff overstrike, bullets.
    raw = (
        "\x1b[1mNAME\x1b[0m\n\n    \x1b[4mmandb\x1b[24m - create the caches\n\n"
        "    +\x08o c\x08ca\x08at\x08t pages and _\x08p_\x08a_\x08t_\x08h_\x08s\x1b]8;;x\x07.\n"
    )
    assert " ".join(_texts(raw)) == "NAME mandb - create the caches • cat pages and paths."
    assert strip_terminal_codes("plain text") == "plain text"


def test_markdown_is_reduced_to_text_with_headings() -> None:
    md = (
        "# Harbour opens a ferry line\n\nSee [the port](https://port.example.org/) notes.\n\n"
        "```\nWe welcome the new line.\n```\n\n![a photo](x.png)"
    )
    assert normalize_paragraphs(strip_markdown(md)) == [
        Block("Harbour opens a ferry line", heading=True),
        Block("See the port notes."),
        Block("We welcome the new line."),
        Block("a photo"),
    ]


def test_a_code_span_keeps_its_stars_and_underscores() -> None:
    md = "Use `==3.1.*` for any 3.1, `*.txt` or `__init__.py`; *this* is emphasis.\n"
    assert [b.text for b in normalize_paragraphs(strip_markdown(md))] == [
        "Use ==3.1.* for any 3.1, *.txt or __init__.py; this is emphasis."
    ]


def test_reflow_lines_rebuilds_pdf_paragraphs() -> None:
    page = (
        "ANNUAL REPORT 2024\n"
        "1. The board refers to its report of 2023 and reiterates its commitment to\n"
        "keeping the harbour open to small fishing boats throughout the\n"
        "winter. It welcomes progress.\n"
        "2. The board recalls its earlier decisions."
    )
    assert reflow_lines(page).split("\n\n") == [
        "ANNUAL REPORT 2024",
        "1. The board refers to its report of 2023 and reiterates its commitment to keeping the "
        "harbour open to small fishing boats throughout the winter. It welcomes progress.",
        "2. The board recalls its earlier decisions.",
    ]


def test_hard_wrapped_text_is_unwrapped_into_paragraphs() -> None:
    text = (
        "The board welcomes the new ferry line and notes\n"
        "that the town council supports it. It expects\n"
        "growth.\n"
        "The harbour joined the coastal network in 2012.\n"
        "1. A numbered paragraph always starts afresh."
    )
    assert split_paragraphs(text) == [
        "The board welcomes the new ferry line and notes that the town council supports it. "
        "It expects growth.",
        "The harbour joined the coastal network in 2012.",
        "1. A numbered paragraph always starts afresh.",
    ]
