"""Loading real files: the seed corpus, bad files, and HTML / markdown / PDF written here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.errors import IngestError
from rag.ingest import SUPPORTED_SUFFIXES, discover, load_document
from rag.types import Document

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
RESOLUTION = "003_8055ac30947230f7.txt"


@pytest.fixture(scope="module")
def resolution() -> Document:
    return load_document(SEEDS / RESOLUTION, SEEDS)


def _paragraph(doc: Document, lang: str, label: str):
    return next(p for p in doc.paragraphs if p.lang == lang and p.label == label)


def assert_offsets(doc: Document) -> None:
    assert doc.text == "\n\n".join(p.text for p in doc.paragraphs)
    for p in doc.paragraphs:
        assert doc.text[p.start : p.end] == p.text


def test_supported_suffixes() -> None:
    assert {".txt", ".md", ".json", ".html", ".htm", ".pdf"} == SUPPORTED_SUFFIXES


def test_offsets_hold_for_every_paragraph_of_every_seed() -> None:
    for path in discover(SEEDS):
        doc = load_document(path, SEEDS)
        assert doc.source == path.name
        assert_offsets(doc)


def test_resolution_page_artefacts_are_gone(resolution: Document) -> None:
    for kept in ("meaningful", "l'Ucraina", "urgentemente", "Euro-Asian", "anti-corruption"):
        assert kept in resolution.text
    for gone in ("me-", "U-\n", "ur-", "PAGINA BIANCA", "190122182980", "⁽¹⁾", "**", "^"):
        assert gone not in resolution.text
    # The page header inside the cut paragraph 4 is kept, but moved out of the body text.
    for header in (
        "Provisional version subject to editorial review.",
        "Version provisoire sous réserve de révision éditoriale.",
        "Versione provvisoria soggetta a revisione editoriale.",
    ):
        assert header in resolution.text
        assert not any(header in p.text for p in resolution.paragraphs if p.label)
    assert "(31e séance)" in resolution.text
    assert "Doc. XII-bis n. 224" in resolution.text


def test_paragraph_four_is_rejoined_and_its_footnote_follows(resolution: Document) -> None:
    for lang, seam in [
        ("en", "At the same time, the Assembly deplores credible reports"),
        ("fr", "Dans le même temps, l'Assemblée déplore les informations crédibles"),
        ("it", "deplora il fatto che, secondo segnalazioni attendibili"),
    ]:
        four = _paragraph(resolution, lang, "4")
        assert seam in four.text
        after = resolution.paragraphs[resolution.paragraphs.index(four) + 1]
        assert after.text.startswith("(1) ")
        assert "30" in after.text and "Németh" in after.text
        assert after.lang == lang


def test_page_break_joins_in_the_middle_of_sentences(resolution: Document) -> None:
    assert "growing international profile, supported by its strategic" in resolution.text
    assert "Elle note également le profil international émergent" in resolution.text
    assert "cooperazione di vicinato del Consiglio d'Europa, in particolare" in resolution.text
    assert _paragraph(resolution, "en", "8").text.startswith(
        "8. The Assembly remains committed to a co-operation with Kazakhstan that is based on"
    )


def test_resolution_languages_labels_and_headings(resolution: Document) -> None:
    assert resolution.languages == ["it", "en", "fr"]
    first = resolution.paragraphs[0]
    assert (first.text, first.lang) == ("CAMERA DEI DEPUTATI", "it")
    headings = {"en": "Resolution 2616 (2025)", "fr": "Résolution 2616 (2025)"}
    headings["it"] = "Risoluzione 2616 (2025)"
    for lang, heading in headings.items():
        labels = [p.label for p in resolution.paragraphs if p.lang == lang and p.label]
        if lang == "it":  # the cover page has no numbered paragraphs
            assert labels.count("1") == 1
        assert labels[:4] == ["1", "2", "3", "4"]
        assert "9.2.1" in labels and labels[-1] == "13"
        for label in ("7", "9.2.1", "12.3"):
            p = _paragraph(resolution, lang, label)
            assert p.heading == heading
            assert p.text.startswith(label)
    assert _paragraph(resolution, "it", "9.1").text.startswith("9.1 utilizzare")
    assert _paragraph(resolution, "fr", "9.2.1").text.startswith("9.2.1. à accélérer")
    italian_titles = [p.text for p in resolution.paragraphs if p.text.startswith("RISOLUZIONE")]
    assert italian_titles == ["RISOLUZIONE 2616 (2025)"]
    assert resolution.title == "Resolution 2616 (2025)"


def test_json_article_in_a_txt_file() -> None:
    doc = load_document(SEEDS / "001_3f8e50993e9fc8cc.txt", SEEDS)
    title = "PACE commends Kazakhstan’s Constitutional Referendum as milestone in governance reform"
    assert doc.title == title
    assert doc.date == "2026-06-27"
    assert doc.metadata["url"].startswith("https://wpnews.pro/news/pace-commends")
    assert doc.metadata["canonical_source"].startswith("https://qazinform.com/")
    assert doc.metadata["title"] == title
    assert doc.metadata["published_at"] == "2026-06-27 13:02:00+00:00"
    assert doc.paragraphs[0].text == title
    assert "Qazinform News Agency reports" in doc.text
    for markup in ("](", "```", "# ", '"slug"'):
        assert markup not in doc.text
    assert "We commend the outcome of the constitutional referendum" in doc.text


def test_date_marker_is_read_and_removed() -> None:
    doc = load_document(SEEDS / "002_1492760e8c00b5f2.txt", SEEDS)
    assert doc.date == "2025-11-14"
    assert doc.text.startswith("A delegation of Kazakhstani parliamentarians")
    assert "date 2025" not in doc.text


def test_plain_news_article() -> None:
    doc = load_document(SEEDS / "000_1968d16abf61fcd6.txt", SEEDS)
    assert doc.title.startswith("ALMATY – Kazakhstan and the Parliamentary Assembly")
    assert len(doc.title) <= 121
    assert doc.date is None
    assert len(doc.paragraphs) == 12
    assert doc.paragraphs[1].text == "Photo credit: senate.parlam.kz"
    assert all(p.heading is None and p.label is None for p in doc.paragraphs)


def test_discover_is_recursive_sorted_and_skips_hidden(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    for name in ("z.txt", "a.md", "b/c.json", ".hidden.txt", ".git/config", "b/.DS_Store"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    found = [p.relative_to(tmp_path).as_posix() for p in discover(tmp_path)]
    assert found == ["a.md", "b/c.json", "z.txt"]


def test_source_is_the_posix_path_relative_to_root(tmp_path: Path) -> None:
    (tmp_path / "news").mkdir()
    path = tmp_path / "news" / "note.txt"
    path.write_text("The Senate met the Assembly delegation in Astana today.", encoding="utf-8")
    assert load_document(path, tmp_path).source == "news/note.txt"


@pytest.mark.parametrize("missing", ["nope", "file.txt"])
def test_missing_corpus_folder(tmp_path: Path, missing: str) -> None:
    (tmp_path / "file.txt").write_text("not a folder", encoding="utf-8")
    with pytest.raises(IngestError, match=f"Corpus folder .*{missing}.*RAG_CORPUS_DIR"):
        discover(tmp_path / missing)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.md", b"  \n\n PAGINA BIANCA \n\n 190122182980\n", "empty"),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
        # Neither UTF-8 nor Windows-1252 (0x81, 0x8d, 0x8f, 0x90 are undefined there).
        ("mixed.txt", b"D\xe9claration \x81\x8d\x8f\x90 commune", "UTF-8"),
        ("controls.txt", b"Text \xe9" + b"\x01\x02\x03" * 20, "UTF-8"),
        ("broken.json", b'{"title": "x", "body_md": "unterminated', "malformed JSON"),
        ("nobody.json", json.dumps({"title": "x", "url": "u"}).encode(), "body_md"),
        ("list.json", b"[1, 2]", "article object"),
        ("table.xlsx", b"PK\x03\x04", "unsupported file type .xlsx"),
        ("README", b"hello", "unsupported file type"),
        ("fake.pdf", b"%PDF-1.4 this is not really a pdf", "cannot read the PDF"),
    ],
)
def test_bad_files_raise_ingest_error_naming_the_file(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestError) as info:
        load_document(path, tmp_path)
    message = str(info.value)
    assert name in message
    assert reason in message
    assert "\n" not in message


def test_latin1_text_is_read_as_windows_1252(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    text = "Déclaration commune du Conseil de l’Europe et du Kazakhstan, signée à Almaty."
    path.write_bytes(text.encode("cp1252"))
    assert load_document(path, tmp_path).text == text


@pytest.mark.parametrize("depth", [100_000, 2_000_000])
def test_deeply_nested_json_is_one_ingest_error(tmp_path: Path, depth: int) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * depth + "]" * depth, encoding="utf-8")
    with pytest.raises(IngestError, match=r"deep\.json: JSON nested too deeply"):
        load_document(path, tmp_path)


def test_txt_that_only_looks_like_json_is_text(tmp_path: Path) -> None:
    path = tmp_path / "braces.txt"
    path.write_text("{not json} but a sentence about the Assembly and its reforms.", "utf-8")
    assert load_document(path, tmp_path).text.startswith("{not json} but a sentence")


def test_json_file(tmp_path: Path) -> None:
    article = {
        "title": "Senate speaker meets PACE president",
        "body": "The speaker met the president in Strasbourg.\n\nThey discussed reforms.",
        "published_at": "2025-10-01T09:30:00Z",
        "url": "https://example.org/a",
    }
    path = tmp_path / "a.json"
    path.write_text(json.dumps(article), "utf-8")
    doc = load_document(path, tmp_path)
    assert (doc.title, doc.date) == ("Senate speaker meets PACE president", "2025-10-01")
    assert [p.text for p in doc.paragraphs] == [
        "The speaker met the president in Strasbourg.",
        "They discussed reforms.",
    ]
    assert doc.metadata["url"] == "https://example.org/a"


def test_markdown_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text(
        "# Kazakhstan and the Council of Europe\n\n"
        "Kazakhstan joined the **Venice Commission** in 2012, see [the list](https://x.org).\n\n"
        "## Conventions\n\n"
        "It is party to several conventions and has asked\n"
        "to accede to others.\n",
        "utf-8",
    )
    doc = load_document(path, tmp_path)
    assert doc.title == "Kazakhstan and the Council of Europe"
    assert [p.text for p in doc.paragraphs] == [
        "Kazakhstan and the Council of Europe",
        "Kazakhstan joined the Venice Commission in 2012, see the list.",
        "Conventions",
        "It is party to several conventions and has asked to accede to others.",
    ]
    assert doc.paragraphs[3].heading == "Conventions"
    assert doc.paragraphs[1].heading == "Kazakhstan and the Council of Europe"
    assert_offsets(doc)


def test_html_file(tmp_path: Path) -> None:
    body = " ".join(
        ["The Parliamentary Assembly of the Council of Europe adopted a resolution on Kazakhstan."]
        * 3
    )
    html = f"""<!doctype html><html><head><title>PACE and Kazakhstan | News</title>
    <meta property="article:published_time" content="2025-09-30T10:00:00Z"></head>
    <body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
    <article><h1>PACE adopts resolution on Kazakhstan</h1>
    <p>{body}</p>
    <p>Le texte a été adopté le 30 septembre 2025 par l'Assemblée à Strasbourg.</p>
    </article><footer>Copyright 2019 Example Media</footer></body></html>"""
    path = tmp_path / "page.html"
    path.write_text(html, "utf-8")
    doc = load_document(path, tmp_path)
    assert "PACE" in doc.title
    assert doc.date == "2025-09-30"
    assert "adopted a resolution on Kazakhstan" in doc.text
    assert "<p>" not in doc.text and "Copyright" not in doc.text
    assert doc.paragraphs[-1].lang == "fr"
    assert_offsets(doc)


def write_pdf(path: Path, pages: list[list[str]], title: str | None = None) -> None:
    """A real PDF with a text layer: one Helvetica line per string, built with pypdf."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        }
    )
    font_ref = writer._add_object(font)
    for lines in pages:
        page = writer.add_blank_page(width=612, height=792)
        ops = ["BT", "/F1 10 Tf", "14 TL", "50 740 Td"]
        for line in lines:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({escaped}) Tj T*")
        ops.append("ET")
        stream = DecodedStreamObject()
        stream.set_data("\n".join(ops).encode("cp1252"))
        page[NameObject("/Contents")] = writer._add_object(stream)
        fonts = DictionaryObject({NameObject("/F1"): font_ref})
        page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
    if title is not None:
        writer.add_metadata({"/Title": title})
    with path.open("wb") as fh:
        writer.write(fh)


def test_pdf_file_with_page_breaks(tmp_path: Path) -> None:
    path = tmp_path / "resolution.pdf"
    write_pdf(
        path,
        [
            [
                "RESOLUTION 2616 (2025)",
                "11.1. acknowledge the importance of open public discourse and constructive",
                "criticism in a democratic society, foster political pluralism and ensure me-",
            ],
            [
                "aningful political competition and participation;",
                "11.2. ensure a pluralistic and independent media environment and avoid",
                "disproportionate restrictions on independent journalism.",
            ],
            ["PAGINA BIANCA"],
        ],
    )
    doc = load_document(path, tmp_path)
    assert doc.source == "resolution.pdf"
    assert doc.title == "Resolution 2616 (2025)"
    assert [p.label for p in doc.paragraphs] == [None, "11.1", "11.2"]
    assert "and ensure meaningful political competition and participation;" in doc.text
    assert "PAGINA" not in doc.text
    assert doc.paragraphs[2].heading == "Resolution 2616 (2025)"
    assert {p.lang for p in doc.paragraphs} == {"en"}
    assert_offsets(doc)


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    write_pdf(path, [[]])
    with pytest.raises(IngestError, match=r"scan\.pdf: the PDF has no text layer"):
        load_document(path, tmp_path)


def test_no_resolution_paragraph_starts_mid_sentence(resolution: Document) -> None:
    # Every "\n\n" in the PDF text followed by a lower-case word was a page break.
    starts = [p.text for p in resolution.paragraphs if p.text[0].islower()]
    assert starts == []


@pytest.mark.parametrize(
    ("start", "lang"),
    [
        ("Trasmessa il 7 ottobre 2025", "it"),
        ("Doc. XII-bis n. 224", "it"),
        ("PARLIAMENTARY ASSEMBLY OF THE COUNCIL OF EUROPE", "en"),
        ("1. The Parliamentary Assembly refers", "en"),
        ("(1) Assembly debate on 30 September 2025", "en"),
        ("ASSEMBLÉE PARLEMENTAIRE", "fr"),
        ("Version provisoire", "fr"),
        ("9.2.1. à accélérer", "fr"),
        ("RISOLUZIONE 2616 (2025)", "it"),
        ("Versione provvisoria", "it"),
        ("12.3 mantenere il proprio sostegno", "it"),
    ],
)
def test_sampled_paragraph_languages(resolution: Document, start: str, lang: str) -> None:
    matches = [p for p in resolution.paragraphs if p.text.startswith(start)]
    assert matches and all(p.lang == lang for p in matches)


def test_italian_heading_after_french_section_is_italian(resolution: Document) -> None:
    heads = [p for p in resolution.paragraphs if p.text.startswith("ASSEMBLEA PARLAMENTARE DEL")]
    assert [p.lang for p in heads] == ["it", "it"]


def test_markdown_front_matter_gives_title_and_date(tmp_path: Path) -> None:
    path = tmp_path / "post.md"
    path.write_text(
        "---\ntitle: 'Senate reform'\ndate: 2025-09-01\ntags: [a, b]\n---\n"
        "The Senate discussed the parliamentary reform with the Assembly.\n",
        "utf-8",
    )
    doc = load_document(path, tmp_path)
    assert (doc.title, doc.date) == ("Senate reform", "2025-09-01")
    assert doc.text == "The Senate discussed the parliamentary reform with the Assembly."


def test_html_with_declared_latin1_charset(tmp_path: Path) -> None:
    html = (
        '<html><head><meta charset="iso-8859-1"><title>Déclaration</title></head><body>'
        "<p>L'Assemblée a adopté la résolution sur le Kazakhstan à Strasbourg en séance.</p>"
        "</body></html>"
    )
    path = tmp_path / "old.htm"
    path.write_bytes(html.encode("latin-1"))
    doc = load_document(path, tmp_path)
    assert "L'Assemblée a adopté la résolution" in doc.text
    assert doc.paragraphs[0].lang == "fr"


@pytest.mark.parametrize(
    ("meta_title", "title"),
    [
        ("Kazakhstan: PACE resolution", "Kazakhstan: PACE resolution"),
        ("Microsoft Word - draft.docx", "Resolution 2616 (2025)"),
        (None, "Resolution 2616 (2025)"),
    ],
)
def test_pdf_title(tmp_path: Path, meta_title: str | None, title: str) -> None:
    path = tmp_path / "r.pdf"
    lines = ["RESOLUTION 2616 (2025)", "1. The Assembly recalls its commitment to democracy."]
    write_pdf(path, [lines], title=meta_title)
    assert load_document(path, tmp_path).title == title


def test_html_words_with_underscores_and_brackets_are_read_as_written(tmp_path: Path) -> None:
    # HTML-to-markdown extraction escapes markdown's punctuation ("cg\_annotate", "\[1\]");
    # the escapes are undone outside code, and code keeps its backslashes.
    para = "Run tide_merge on the files and then tide_report on the result [1]. " * 3
    html = f"""<!doctype html><html><head><title>Tide tools</title></head><body><article>
    <h1>Tide tools</h1><p>{para}</p>
    <p>Files named tide.out.* are merged by tide_merge, see the tide_tools manual.</p>
    <pre>match = re.compile(r"\\d+_\\w+")</pre>
    </article></body></html>"""
    path = tmp_path / "tools.html"
    path.write_text(html, "utf-8")
    doc = load_document(path, tmp_path)
    assert "Run tide_merge on the files and then tide_report on the result [1]." in doc.text
    assert "tide.out.* are merged by tide_merge" in doc.text
    assert "\\_" not in doc.text and "\\[" not in doc.text
    assert_offsets(doc)


def test_markdown_fenced_code_and_myst_directives(tmp_path: Path) -> None:
    # Code inside a fence is kept as written (a "# comment" there is no heading); a MyST
    # directive's body is text, and its closing fence does not open a code block.
    path = tmp_path / "guide.md"
    path.write_text(
        "# Tide tools\n\n"
        "(tide-cache)=\n\n"
        "```{versionadded} 2.0\n"
        "The tools keep a cache of tide tables, see {ref}`Caching`.\n"
        "```\n\n"
        "````{tab} Linux\n"
        "```\n"
        "# the cache folder\n"
        "~/.cache/tide\\_tables\n"
        "```\n"
        "````\n\n"
        "The *cache* can be removed with tide\\_clean.\n",
        "utf-8",
    )
    doc = load_document(path, tmp_path)
    texts = [p.text for p in doc.paragraphs]
    assert "versionadded 2.0" in texts and "tab Linux" in texts
    assert "The tools keep a cache of tide tables, see Caching." in texts
    assert "~/.cache/tide\\_tables" in doc.text  # code: the backslash is the text's
    assert texts[-1] == "The cache can be removed with tide_clean."
    assert "(tide-cache)=" not in doc.text and "```" not in doc.text
    assert_offsets(doc)


def test_a_long_line_after_three_backticks_loads_in_linear_time(tmp_path: Path) -> None:
    # "x ```" then a 300,000-character line holding a backtick: the inline-code pattern
    # once tried every split of such a line (quadratic: hours); now it matches one way.
    path = tmp_path / "long.md"
    path.write_text("Run ```\n" + "tide tables " * 25_000 + "`x`\nEnd of notes.\n", "utf-8")
    doc = load_document(path, tmp_path)
    assert doc.text.count("tide tables") == 25_000 and doc.text.endswith("End of notes.")
