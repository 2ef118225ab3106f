"""Fuzzing the loaders, normalizer, chunker and citation checker on random text and bytes.

The cases come from hypothesis: arbitrary bytes and Unicode text, and document-like text
built from a vocabulary of the odd things real files hold (``st.randoms`` drives the
generators below, so hypothesis shrinks a failure to a small case). ``derandomize``
makes every run try the same cases: CI cannot pass or fail by luck.
What must hold on every case:

- ``load_document`` returns a Document or raises ``IngestError`` (one line), nothing
  else; every paragraph is the slice of the text its offsets say;
- ``normalize_paragraphs`` returns non-empty blocks on any text, raising nothing;
- every chunk is the slice of the text its offsets say and stays within the token bound;
- ``verify`` never invents a citation: each one names a passage it was given (number,
  source and chunk id), quotes that passage, and every marker left in the text is one
  of them.
"""

from __future__ import annotations

import json
import random
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.chunking import chunk_document, count_tokens
from rag.citations import verify
from rag.errors import IngestError
from rag.ingest import load_document
from rag.ingest.normalize import normalize_paragraphs
from rag.types import Passage

_VOCAB = (
    "the Assembly resolution prisoners released 39 2025 Kazakhstan Council Europe "
    "l'Assemblée réformes détenus Consiglio d'Europa riforme §5 5.1 RESOLUTION 2616 (2025) "
    "Page 3 of 12 Doc. 16103 - http://example.org/x?y=1 [1] [2] [12] [0] [99999999999] "
    "naïve coöperate \u00ad soft\u00adhyphen \u200b zero\u200bwidth \ufeff \u202e rtl "
    "😀 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ﬁ ligature e\u0301 \t * - # ## > | {} [] () \" ' « » … – —"
)
WORDS = _VOCAB.split(" ")
PUNCT = [". ", ", ", "; ", ": ", "? ", "! ", "\n", "\n\n", "\n\n\n", "-\n", " ", " ", " "]


def random_text(rng: random.Random, n: int) -> str:
    """Words, punctuation, blank lines, odd Unicode and sometimes a raw control character."""
    out = []
    for _ in range(n):
        out.append(rng.choice(WORDS))
        out.append(rng.choice(PUNCT))
        if rng.random() < 0.02:
            out.append(chr(rng.randrange(0, 32)))
        if rng.random() < 0.01:
            out.append(chr(rng.randrange(0x80, 0x2FFF)))
    return "".join(out)


def random_file(rng: random.Random) -> tuple[str, bytes]:
    """A file name and its bytes: text, JSON, markdown, HTML, or random bytes, some broken."""
    kind = rng.choice(["txt", "md", "json", "html", "bytes", "pdf"])
    text = random_text(rng, rng.randrange(0, 400))
    if kind == "json":
        obj = {"title": random_text(rng, 5), rng.choice(["body_md", "body", "x"]): text}
        raw = json.dumps(obj, ensure_ascii=rng.random() < 0.5)
        data = raw[: rng.randrange(len(raw) + 1)] if rng.random() < 0.3 else raw
        return "f.json", data.encode("utf-8", "surrogatepass")
    if kind == "html":
        body = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
        return "f.html", f"<html><head><title>T</title></head><body>{body}</body></html>".encode(
            "utf-8", "surrogatepass"
        )
    if kind == "bytes":
        return rng.choice(["f.txt", "f.md", "f.json"]), rng.randbytes(rng.randrange(0, 3000))
    if kind == "pdf":
        return "f.pdf", b"%PDF-1.4\n" + rng.randbytes(rng.randrange(0, 2000))
    encoding = rng.choice(["utf-8", "utf-8", "utf-16", "cp1252", "latin-1"])
    return f"f.{kind}", text.encode(encoding, "replace")


#: The same cases on every run; no deadline (a PDF parse may take a while on a busy CI).
FUZZ = settings(derandomize=True, deadline=None, database=None)


def _load_and_chunk(name: str, data: bytes, max_tokens: int, overlap: int) -> bool:
    """Load one file and chunk it, checking every invariant; whether it loaded."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            doc = load_document(path, Path(tmp))
        except IngestError as exc:
            assert "\n" not in str(exc)
            return False
    for p in doc.paragraphs:
        assert doc.text[p.start : p.end] == p.text
    chunks = chunk_document(doc, max_tokens=max_tokens, overlap_sentences=overlap)
    assert len({c.id for c in chunks}) == len(chunks)
    for c in chunks:
        assert doc.text[c.start : c.end] == c.text
        assert count_tokens(c.text) <= max_tokens, c.text
    return True


@pytest.mark.slow
@settings(FUZZ, max_examples=200)
@given(rng=st.randoms(use_true_random=False))
def test_loaders_and_chunker_on_document_like_files(rng: random.Random) -> None:
    name, data = random_file(rng)
    _load_and_chunk(name, data, rng.choice([8, 16, 40, 160]), rng.randrange(3))


@pytest.mark.slow
@settings(FUZZ, max_examples=150)
@given(
    name=st.sampled_from(["f.txt", "f.md", "f.json", "f.html", "f.htm", "f.pdf"]),
    data=st.binary(max_size=3000)
    | st.text(max_size=1500).map(lambda t: t.encode("utf-8", "surrogatepass")),
    max_tokens=st.sampled_from([8, 40, 160]),
)
def test_loaders_and_chunker_on_arbitrary_bytes(name: str, data: bytes, max_tokens: int) -> None:
    _load_and_chunk(name, data, max_tokens, 1)


def test_the_document_like_generator_reaches_the_chunker() -> None:
    """The generator must produce loadable files, not only the error paths."""
    rng = random.Random(0)
    loaded = sum(_load_and_chunk(*random_file(rng), 40, 1) for _ in range(40))
    assert loaded >= 10


@settings(FUZZ, max_examples=200)
@given(
    st.text(max_size=2000)
    | st.randoms(use_true_random=False).map(lambda r: random_text(r, r.randrange(0, 300)))
)
def test_the_normalizer_on_any_text(text: str) -> None:
    for block in normalize_paragraphs(text):
        assert block.text.strip(), block


def _passages(rng: random.Random) -> list[Passage]:
    return [
        Passage(
            chunk_id=f"c{i}",
            source=f"doc{i}.txt",
            text=random_text(rng, rng.randrange(1, 60)),
            score=rng.random(),
            lang=rng.choice(["en", "fr", "it"]),
            locator=rng.choice(["", "§5", "p. 3"]),
        )
        for i in range(rng.randrange(0, 6))
    ]


def _answer(rng: random.Random, passages: list[Passage]) -> str:
    parts = []
    for _ in range(rng.randrange(0, 6)):
        if passages and rng.random() < 0.6:  # copy a stretch of a passage: a supported claim
            words = rng.choice(passages).text.split()
            start = rng.randrange(len(words) or 1)
            parts.append(" ".join(words[start : start + rng.randrange(3, 15)]))
        else:
            parts.append(random_text(rng, rng.randrange(1, 15)))
        parts.append(f" [{rng.choice([0, 1, 2, 3, 7, 99, 10**12])}]. ")
    return "".join(parts)


def _check_verify(rng: random.Random) -> int:
    """One case: the invariants of ``verify``; how many citations it kept."""
    passages = _passages(rng)
    text = _answer(rng, passages)
    checked = verify(text, passages, lang=rng.choice(["en", "fr", "it"]))
    numbers = [c.n for c in checked.citations]
    assert numbers == sorted(set(numbers))
    for c in checked.citations:
        assert 1 <= c.n <= len(passages)
        p = passages[c.n - 1]
        assert (c.source, c.chunk_id) == (p.source, p.chunk_id)
        # A claim may be supported by its source's label (README: "or in the source's
        # title, year or locator"); then the label is the quote. Nothing else may be.
        quote = " ".join(c.quote.split())
        labels = {" ".join((x or "").split()) for x in (p.locator, p.title)} - {""}
        assert quote in " ".join(p.text.split()) or quote in labels, c.quote
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", checked.text)}
    assert markers <= set(numbers), checked.text
    return len(checked.citations)


@settings(FUZZ, max_examples=300)
@given(rng=st.randoms(use_true_random=False))
def test_verify_never_invents_a_citation(rng: random.Random) -> None:
    _check_verify(rng)


def test_the_answer_generator_produces_supported_claims() -> None:
    """The generator must produce claims verification keeps, not only noise."""
    rng = random.Random(100)
    assert sum(_check_verify(rng) for _ in range(80)) >= 20
