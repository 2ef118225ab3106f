"""bench.scale at a tiny size, so the benchmark cannot rot: a real run (corpus written as
files, ingested by rag.sync, a child process, the USE embedder: numpy only, fast to
start), whose JSON rows are checked for what the benchmark promises. No timing is
asserted: speed is what the benchmark reports, not what a test decides."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from bench.scale_corpus import LANGS, document, queries, write_corpus

ROOT = Path(__file__).resolve().parent.parent


def test_the_synthetic_corpus_is_deterministic_and_multilingual(tmp_path):
    a = write_corpus(tmp_path / "a", 6)
    b = write_corpus(tmp_path / "b", 6)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    assert [p.name.split("-")[-1][:2] for p in a] == [*LANGS, *LANGS]
    fr = document(random.Random(3), "fr", 4)
    assert fr.count("\n\n") == 4 and " le " in fr.lower()
    assert document(random.Random(3), "fr", 4) == fr != document(random.Random(4), "fr", 4)
    assert queries(3) == queries(3) and len(set(queries(30))) > 20


@pytest.mark.slow
def test_bench_scale_runs_end_to_end_at_a_tiny_size(tmp_path):
    out = tmp_path / "scale.json"
    common = [
        *("--sizes", "200", "--modes", "embedded", "--embedder", "use-multilingual-v3"),
        *("--queries", "5", "--work", str(tmp_path / "work"), "--out", str(out)),
        *("--no-plot", "--no-seeds"),
    ]
    for extra in (["--raw-sample", "100"], ["--requery"]):
        proc = subprocess.run(
            [sys.executable, "-m", "bench.scale", *common, *extra],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads(out.read_text())["rows"]
    assert len(rows) == 1
    row = rows[0]
    assert row["mode"] == "embedded" and row["embedder"] == "use-multilingual-v3"
    assert 150 <= row["chunks"] <= 260 and row["files"] >= 3  # what was indexed
    assert row["reingest_written"] == 0  # an unchanged re-sync embeds nothing
    for key in (
        "dense_p50_ms",
        "dense_p95_ms",
        "bm25_p50_ms",
        "hybrid_p50_ms",
        "hybrid_p95_ms",
        "ingest_chunks_per_s",
        "raw_encode_per_s",
        "rss_mb",
        "disk_bytes_per_chunk",
    ):
        assert row[key] > 0, key
    assert row["dense_p95_ms"] >= row["dense_p50_ms"]
    assert row["hybrid_p95_ms"] >= row["hybrid_p50_ms"]
    assert row["reader_rss_mb"] > 0  # the --requery run measured the same row again
    corpus = sorted((tmp_path / "work" / "corpus-200").glob("*.txt"))
    assert {p.name.split("-")[-1][:2] for p in corpus} == set(LANGS)
