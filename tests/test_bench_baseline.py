"""The tutorial baseline's chunker (bench/baseline.py): the comparison is only fair if the
baseline is what the guides build, 1,000-character windows sharing 200 characters."""

from __future__ import annotations

import itertools

from bench.baseline import CHUNK_CHARS, OVERLAP_CHARS, tutorial_chunks


def test_windows_overlap_and_cut_at_a_space():
    text = " ".join(f"w{i:04d}" for i in range(600))  # 3,599 characters
    chunks = tutorial_chunks(text)
    assert all(len(c) <= CHUNK_CHARS for c in chunks)
    assert all(not c.startswith(" ") and not c.endswith(" ") for c in chunks)
    assert all(w.startswith("w") and len(w) == 5 for c in chunks for w in c.split())  # whole words
    # Consecutive windows share about OVERLAP_CHARS characters, and together cover the text.
    for a, b in itertools.pairwise(chunks):
        shared = next(k for k in range(min(len(a), len(b)), 0, -1) if a.endswith(b[:k]))
        assert OVERLAP_CHARS - 10 <= shared <= OVERLAP_CHARS + 10
    assert chunks[0].startswith("w0000") and chunks[-1].endswith("w0599")


def test_short_and_empty_texts():
    assert tutorial_chunks("one two three") == ["one two three"]
    assert tutorial_chunks("   ") == [] and tutorial_chunks("") == []
