"""Fuzzing the loaders, normalizer, chunker and citation checker on random text and bytes.

hypothesis is not a dependency, so the cases come from ``random.Random`` with fixed seeds:
the same cases on every run, and a failure names its seed and case number to replay.
What must hold on every case:

- ``load_document`` returns a Document or raises ``IngestError``, nothing else; every
  paragraph is the slice of the text its offsets say;
- every chunk is the slice of the text its offsets say and stays within the token bound;
- ``verify`` never invents a citation: each one names a passage it was given (number,
  source and chunk id), quotes that passage, and every marker left in the text is one
  of them.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from rag.chunking import chunk_document, count_tokens
from rag.citations import verify
from rag.errors import IngestError
from rag.ingest import load_document
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


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4))
def test_loaders_and_chunker_on_random_files(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    loaded = 0
    for case in range(60):
        name, data = random_file(rng)
        path = tmp_path / name
        path.write_bytes(data)
        where = f"seed {seed} case {case} ({name}, {len(data)} bytes)"
        try:
            doc = load_document(path, tmp_path)
        except IngestError as exc:
            assert "\n" not in str(exc), where
            continue
        loaded += 1
        for p in doc.paragraphs:
            assert doc.text[p.start : p.end] == p.text, where
        max_tokens = rng.choice([8, 16, 40, 160])
        chunks = chunk_document(doc, max_tokens=max_tokens, overlap_sentences=rng.randrange(3))
        assert len({c.id for c in chunks}) == len(chunks), where
        for c in chunks:
            assert doc.text[c.start : c.end] == c.text, where
            assert count_tokens(c.text) <= max_tokens, (where, c.text)
    assert loaded >= 15  # the generator must reach the chunker, not only the error paths


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


@pytest.mark.parametrize("seed", range(4))
def test_verify_never_invents_a_citation(seed: int) -> None:
    rng = random.Random(100 + seed)
    cited = 0
    for case in range(80):
        passages = _passages(rng)
        text = _answer(rng, passages)
        lang = rng.choice(["en", "fr", "it"])
        where = f"seed {100 + seed} case {case}"
        checked = verify(text, passages, lang=lang)
        numbers = [c.n for c in checked.citations]
        assert numbers == sorted(set(numbers)), where
        for c in checked.citations:
            assert 1 <= c.n <= len(passages), where
            p = passages[c.n - 1]
            assert (c.source, c.chunk_id) == (p.source, p.chunk_id), where
            assert " ".join(c.quote.split()) in " ".join(p.text.split()), (where, c.quote)
        markers = {int(n) for n in re.findall(r"\[(\d+)\]", checked.text)}
        assert markers <= set(numbers), (where, checked.text)
        cited += len(checked.citations)
    assert cited >= 20  # the generator must produce supported claims, not only noise
