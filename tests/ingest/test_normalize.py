"""Pure text normalization: hyphen joins, page-break rejoins, artefacts, labels."""

from __future__ import annotations

import pytest

from rag.ingest.normalize import (
    Block,
    clean_inline,
    is_artefact,
    looks_like_heading,
    normalize_paragraphs,
    paragraph_label,
    pretty_heading,
    reflow_lines,
    rejoin_broken,
    split_glued_headings,
    split_paragraphs,
    strip_markdown,
    strip_running_header,
)


@pytest.mark.parametrize(
    ("pieces", "joined"),
    [
        (["11.1. and ensure me-", "aningful political competition;"], "meaningful political"),
        (["contro l'U-", "craina, attenendosi ai principi."], "contro l'Ucraina, attenendosi"),
        (["chiede ur-", "gentemente l'interruzione."], "chiede urgentemente l'interruzione"),
    ],
)
def test_hyphen_split_across_page_break_is_joined(pieces: list[str], joined: str) -> None:
    out = rejoin_broken(pieces)
    assert len(out) == 1
    assert joined in out[0]


def test_real_hyphenated_words_are_kept() -> None:
    text = "Kazakhstan is a pillar of the Euro-Asian region.\n\nIt fights anti-corruption."
    paragraphs = [b.text for b in normalize_paragraphs(text)]
    assert paragraphs == [
        "Kazakhstan is a pillar of the Euro-Asian region.",
        "It fights anti-corruption.",
    ]


def test_hyphen_before_capital_is_not_a_split_word() -> None:
    assert rejoin_broken(["the Euro-", "Asian region."]) == ["the Euro-", "Asian region."]


def test_paragraph_cut_by_footnote_and_running_header_is_rejoined() -> None:
    text = (
        "4. It commends Kazakhstan. At the\n\n"
        "(1) *Assembly debate* on 30 September 2025 (31st sitting).\n\n"
        "Provisional version subject to editorial review.\n\n"
        "same time, the Assembly deplores credible reports.\n\n"
        "5. The Assembly welcomes co-operation."
    )
    paragraphs = [b.text for b in normalize_paragraphs(text)]
    assert paragraphs == [
        "4. It commends Kazakhstan. At the same time, the Assembly deplores credible reports.",
        "(1) Assembly debate on 30 September 2025 (31st sitting).",
        "5. The Assembly welcomes co-operation.",
    ]


def test_open_paragraph_before_a_label_is_not_joined() -> None:
    pieces = ["7. ... et de libertés fondamentales", "8. L'Assemblée reste attachée."]
    assert rejoin_broken(pieces) == pieces


def test_long_paragraph_cut_before_a_capitalized_word_is_joined() -> None:
    left = "10.2 sfruttare appieno le competenze e gli strumenti disponibili nell'ambito del"
    right = "Consiglio d'Europa, in particolare nei settori recentemente ampliati della riforma."
    assert rejoin_broken([left, right]) == [f"{left} {right}"]


def test_short_caption_is_not_joined_with_the_next_sentence() -> None:
    pieces = ["Photo credit: senate.parlam.kz", "The statement, signed by the Chair."]
    assert rejoin_broken(pieces) == pieces


@pytest.mark.parametrize(
    "artefact",
    [
        "PAGINA BIANCA",
        "190122182980",
        "Provisional version subject to editorial review.",
        "Version provisoire sous réserve de révision éditoriale.",
        "Versione provvisoria soggetta a revisione editoriale.",
        "12",
        "",
    ],
)
def test_page_artefacts_are_recognized(artefact: str) -> None:
    assert is_artefact(artefact)


@pytest.mark.parametrize("content", ["Provisional version", "Version provisoire", "2616 (2025)"])
def test_real_short_content_is_not_an_artefact(content: str) -> None:
    assert not is_artefact(content)


def test_running_header_glued_to_a_footnote_is_removed() -> None:
    footnote = (
        "(1) Testo adottato (31a sessione). Versione provvisoria soggetta a revisione editoriale."
    )
    assert strip_running_header(footnote) == "(1) Testo adottato (31a sessione)."


def test_inline_artefacts() -> None:
    assert clean_inline("Doc. **XII-bis**") == "Doc. XII-bis"
    assert clean_inline("(1) *Assembly debate* on") == "(1) Assembly debate on"
    assert clean_inline("RESOLUTION 2616 (2025) ⁽¹⁾") == "RESOLUTION 2616 (2025)"
    assert clean_inline("(31^e séance) (31^a sessione)") == "(31e séance) (31a sessione)"
    assert (
        clean_inline("« terrifiantes »  and “quotes”\tkept") == "« terrifiantes » and “quotes” kept"
    )


def test_glued_italian_heading_is_split_in_two() -> None:
    merged = "ASSEMBLEA PARLAMENTARE DEL CONSIGLIO D'EUROPA**RISOLUZIONE 2616 (2025) ⁽¹⁾**"
    assert [clean_inline(p) for p in split_glued_headings(merged)] == [
        "ASSEMBLEA PARLAMENTARE DEL CONSIGLIO D'EUROPA",
        "RISOLUZIONE 2616 (2025)",
    ]


def test_wrapped_lines_are_joined_and_separate_lines_kept() -> None:
    text = (
        "L'Assemblea parlamentare dovrebbe sostenere il Kazakistan\n"
        "nel proseguimento delle sue riforme democratiche\n\n"
        "Photo credit: senate.parlam.kz\n"
        "The statement, signed by Kazakh Senate Chairperson Maulen Ashimbayev and PACE President "
        "Theodoros Roussopoulos, emphasized democracy."
    )
    assert split_paragraphs(text) == [
        "L'Assemblea parlamentare dovrebbe sostenere il Kazakistan nel proseguimento delle sue "
        "riforme democratiche",
        "Photo credit: senate.parlam.kz",
        "The statement, signed by Kazakh Senate Chairperson Maulen Ashimbayev and PACE President "
        "Theodoros Roussopoulos, emphasized democracy.",
    ]


@pytest.mark.parametrize(
    ("paragraph", "label"),
    [
        ("9.2.1. accelerate progress", "9.2.1"),
        ("9.2.1 accelerare i progressi", "9.2.1"),
        ("9.1 utilizzare la sua posizione", "9.1"),
        ("13. The Assembly should", "13"),
        ("2022 was a year of reform", None),
        ("(1) Assembly debate", None),
        ("The Assembly", None),
    ],
)
def test_paragraph_labels(paragraph: str, label: str | None) -> None:
    assert paragraph_label(paragraph) == label


def test_headings_are_recognized_and_prettified() -> None:
    assert looks_like_heading("RÉSOLUTION 2616 (2025)")
    assert looks_like_heading("A Comprehensive Approach to Reform")
    assert not looks_like_heading("Photo credit: Kazakh Senate")
    assert not looks_like_heading("9.1 utilizzare la sua posizione")
    assert not looks_like_heading("The statement was released during the session.")
    assert pretty_heading("RISOLUZIONE 2616 (2025)") == "Risoluzione 2616 (2025)"


def test_markdown_is_reduced_to_text_with_headings() -> None:
    md = (
        "# PACE commends Kazakhstan\n\nSee [Qazinform](https://qazinform.com/) reports.\n\n"
        "```\nWe commend the outcome.\n```\n\n![a photo](x.png)"
    )
    blocks = normalize_paragraphs(strip_markdown(md))
    assert blocks == [
        Block("PACE commends Kazakhstan", heading=True),
        Block("See Qazinform reports."),
        Block("We commend the outcome."),
        Block("a photo"),
    ]


def test_reflow_lines_rebuilds_pdf_paragraphs() -> None:
    page = (
        "RESOLUTION 2616 (2025)\n"
        "1. The Assembly refers to its Resolution 1506 (2006) and reiterates its\n"
        "commitment to enhancing the role of the Council of Europe in promoting\n"
        "democracy. It welcomes progress.\n"
        "2. The Assembly recalls its Resolutions."
    )
    assert reflow_lines(page).split("\n\n") == [
        "RESOLUTION 2616 (2025)",
        "1. The Assembly refers to its Resolution 1506 (2006) and reiterates its commitment to "
        "enhancing the role of the Council of Europe in promoting democracy. It welcomes progress.",
        "2. The Assembly recalls its Resolutions.",
    ]


def test_hard_wrapped_text_is_unwrapped_into_paragraphs() -> None:
    text = (
        "The Assembly welcomes the constitutional reform and notes\n"
        "that the Parliament of Kazakhstan supports it. It expects\n"
        "progress.\n"
        "Kazakhstan joined the Venice Commission in 2012.\n"
        "1. A numbered paragraph always starts afresh."
    )
    assert split_paragraphs(text) == [
        "The Assembly welcomes the constitutional reform and notes that the Parliament of "
        "Kazakhstan supports it. It expects progress.",
        "Kazakhstan joined the Venice Commission in 2012.",
        "1. A numbered paragraph always starts afresh.",
    ]
