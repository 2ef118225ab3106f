"""Scale: ingest rate, query latency, memory and disk from 1k to 100k chunks (issue #16).

    python -m bench.scale                                   # 1k, 10k, 100k; embedded and server
    python -m bench.scale --sizes 1000,10000 --modes embedded
    python -m bench.scale --sizes 100000 --embedder hashing  # the store without the model

For each size a deterministic synthetic corpus (``bench.scale_corpus``: reports in
English, French and Italian) is written as files and indexed by ``rag.sync.sync_corpus``,
the code ``rag ingest`` runs, in a fresh child process per (size, mode), so peak RSS is
that run's. In the same child:

- ``ingest_chunks_per_s``: chunks over the whole sync (read, chunk, embed, upsert, BM25
  terms, manifest), model already loaded, split into ``ingest_embed_s`` (the embedder's
  calls) and ``ingest_other_s``; ``raw_encode_per_s``: the same embedder encoding the
  same chunk texts directly (``--raw-sample`` of them, from a seeded sample of files), at
  the best of a few batch sizes tried first, measured just before and just after the
  ingest (the mean; both in ``raw_encode_before_after``: the machine is shared);
- ``reingest_unchanged_s``, ``add_file_s``, ``remove_file_s``: syncs of the same folder,
  then with one file added, then removed (the BM25 index is updated incrementally);
- ``dense``/``bm25``/``hybrid`` p50/p95 over ``--queries`` fixed questions: the query
  embedded and Chroma's top 40; both BM25 lists (chunks and sentences), top 40; and
  ``rag.retrieve.retrieve`` (what an answer runs);
- ``rss_mb`` (the child's peak), ``server_rss_mb`` (the server's peak, server mode),
  ``disk_bytes_per_chunk`` (data folder, or the server's folder plus the BM25 cache).

``server`` mode starts ``chroma run`` on 127.0.0.1 (one server per size, its own folder)
and sets ``chroma_url``: the one setting that changes. ``--embedder hashing`` swaps the
model for a bag-of-words hashing embedder (384-d, ~100x faster) so the store can be
measured at sizes the model would take hours to embed on 2 cores; its rows say so.
Rows go to ``bench/results/scale.json`` (merged by size, mode and embedder), then the plot
(``bench.scale_plot``, needs matplotlib: ``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.scale_measure import (
    du,
    pct,
    peak_rss,
    raw_rate,
    sample_texts,
    start_server,
    timing_embed,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SEEDS = ROOT / "seeds"
_POOL = 40


def _corpus(work: Path, size: int, settings: Any) -> Path:
    """The corpus folder for ``size`` chunks (files written once, reused by later runs)."""
    from bench.scale_corpus import write_corpus
    from rag.chunking import chunk_document
    from rag.ingest import load_document

    probe = work / "probe"
    paths = write_corpus(probe, 6)
    per_file = sum(
        len(chunk_document(load_document(p, probe), max_tokens=settings.chunk_tokens))
        for p in paths
    ) / len(paths)
    folder = work / f"corpus-{size}"
    n_files = max(1, round(size / per_file))
    write_corpus(folder, n_files)
    for extra in sorted(folder.glob("doc-*.txt"))[n_files:]:
        extra.unlink()
    return folder


def _timed(fn: Any) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def _latencies(settings: Any, n_queries: int) -> dict[str, Any]:
    """Query latency p50/p95 of the index of ``settings``: dense, BM25, hybrid."""
    from bench.scale_corpus import queries
    from rag.index import open_index
    from rag.lexical import lexical_index
    from rag.retrieve import retrieve

    index = open_index(settings)
    t = time.perf_counter()
    lexical_index(index)
    load_s = time.perf_counter() - t
    qs = queries(n_queries)
    retrieve(qs[0], settings, index=index)  # warm: caches, first-call costs

    def lexical(q: str) -> None:
        lex = lexical_index(index)
        lex.search(q, _POOL)
        if lex.sentences is not None:
            lex.sentences.search(q, _POOL)

    dense, bm25, hybrid = [], [], []
    for q in qs:
        dense.append(_timed(lambda q=q: index.query(index.embedder.embed([q])[0], _POOL)))
        bm25.append(_timed(lambda q=q: lexical(q)))
        hybrid.append(_timed(lambda q=q: retrieve(q, settings, index=index)))
    return {
        "queries": len(qs),
        "bm25_first_use_s": round(load_s, 3),
        **{
            f"{name}_p{p}_ms": round(pct(v, p), 2)
            for name, v in (("dense", dense), ("bm25", bm25), ("hybrid", hybrid))
            for p in (50, 95)
        },
    }


def requery(args: argparse.Namespace) -> dict[str, Any]:
    """Latency again on the index a previous run left (no ingest), in a fresh process:
    its peak RSS is a reader's (the index opened, BM25 loaded, questions answered)."""
    settings = _settings(args)
    settings = settings.replace(corpus_dir=Path(args.work) / f"corpus-{args.size}")
    from rag.index import open_index

    index = open_index(settings)
    row: dict[str, Any] = {
        "target": args.size,
        "mode": args.mode,
        "embedder": args.embedder or index.embedder.name,
        "chunks": index.count(),
    }
    row.update(_latencies(settings, args.queries))
    row["reader_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return row


def _settings(args: argparse.Namespace) -> Any:
    from rag.config import Settings

    data = Path(args.work) / f"data-{args.mode}-{args.size}"
    if args.embedder == "hashing":
        from bench.scale_embed import use_hashing_embedder

        use_hashing_embedder()
    return Settings.from_env().replace(
        data_dir=data,
        chroma_url=args.url or None,
        collection=f"scale{args.size}",
        lexical_cache_dir=data / "lexical-cache" if args.url else None,
        **({"embedding_model": args.embedder} if args.embedder not in ("", "hashing") else {}),
    )


def run_one(args: argparse.Namespace) -> dict[str, Any]:
    """One (size, mode) measurement, in this (child) process."""
    from bench.scale_corpus import document
    from rag.index import open_index
    from rag.sync import sync_corpus

    work = Path(args.work)
    data = work / f"data-{args.mode}-{args.size}"
    shutil.rmtree(data, ignore_errors=True)
    settings = _settings(args)
    corpus = _corpus(work, args.size, settings)
    settings = settings.replace(corpus_dir=corpus)
    embedder = open_index(settings).embedder
    embedder.embed(["warm up"], progress=False)

    # The raw rate just before and just after the ingest (the machine is shared: its
    # load changes over minutes), on the chunk texts the ingest is about to produce.
    texts = sample_texts(corpus, args.raw_sample, settings)
    raw_before, batch = raw_rate(embedder, texts)
    spent = timing_embed(embedder)
    t = time.perf_counter()
    report = sync_corpus(settings)
    ingest_s = time.perf_counter() - t
    del embedder.embed  # the instrumented one
    raw_after, _ = raw_rate(embedder, texts, batch)
    raw = (raw_before + raw_after) / 2

    t = time.perf_counter()
    again = sync_corpus(settings)
    reingest_s = time.perf_counter() - t
    extra = corpus / "zz-added-en.txt"
    extra.write_text(document(random.Random(99), "en", 12), encoding="utf-8")
    add_s = _timed(lambda: sync_corpus(settings)) / 1000
    extra.unlink()
    remove_s = _timed(lambda: sync_corpus(settings)) / 1000

    latency = _latencies(settings, args.queries)
    disk = du(data) + (du(Path(args.server_path)) if args.server_path else 0)
    n = report.chunks_total
    return {
        "chunks": n,
        "target": args.size,
        "mode": args.mode,
        "embedder": args.embedder or embedder.name,
        "files": len(report.added),
        "ingest_s": round(ingest_s, 2),
        "ingest_chunks_per_s": round(report.chunks_written / ingest_s, 1),
        "raw_encode_per_s": round(raw, 1),
        "raw_encode_before_after": [round(raw_before, 1), round(raw_after, 1)],
        "raw_encode_texts": len(texts),
        "raw_batch_size": batch,
        "ingest_over_raw": round(report.chunks_written / ingest_s / raw, 3),
        # Where the ingest's time went: the embedder's calls, and everything else (read,
        # chunk, BM25 terms, Chroma writes, manifest).
        "ingest_embed_s": round(spent[0], 2),
        "ingest_other_s": round(ingest_s - spent[0], 2),
        "reingest_unchanged_s": round(reingest_s, 3),
        "reingest_written": again.chunks_written,
        "add_file_s": round(add_s, 3),
        "remove_file_s": round(remove_s, 3),
        **latency,
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "server_rss_mb": peak_rss(args.server_pid) if args.server_pid else None,
        "disk_bytes_per_chunk": round(disk / max(n, 1)),
    }


def seeds_reingest(work: Path) -> dict[str, float]:
    """Unchanged re-ingest of seeds/: in process (3 runs, best) and ``rag ingest`` wall time."""
    from rag.config import Settings
    from rag.sync import sync_corpus

    settings = Settings.from_env().replace(data_dir=work / "seeds-data", corpus_dir=SEEDS)
    shutil.rmtree(settings.data_dir, ignore_errors=True)
    sync_corpus(settings)
    runs = [_timed(lambda: sync_corpus(settings)) / 1000 for _ in range(3)]
    env = {**os.environ, "RAG_DATA_DIR": str(settings.data_dir), "RAG_CORPUS_DIR": str(SEEDS)}
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rag.cli", "ingest", "-q"], env=env, check=True)
    return {
        "in_process_s": round(min(runs), 3),
        "cli_wall_s": round(time.perf_counter() - t, 3),
    }


def _child(args: argparse.Namespace, size: int, mode: str, work: Path) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "bench.scale",
        "--child",
        "--size",
        str(size),
        "--mode",
        mode,
        "--work",
        str(work),
        "--queries",
        str(args.queries),
        "--raw-sample",
        str(args.raw_sample),
        "--embedder",
        args.embedder,
    ]
    server = None
    if args.requery:
        cmd.append("--requery")
    if mode == "server":
        path = work / f"server-{size}"
        if not args.requery:
            shutil.rmtree(path, ignore_errors=True)
        server, url = start_server(path)
        cmd += ["--url", url, "--server-path", str(path), "--server-pid", str(server.pid)]
    try:
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    return json.loads(out.strip().splitlines()[-1])


def _merge(out: Path, rows: list[dict[str, Any]], extra: dict[str, Any]) -> None:
    old = json.loads(out.read_text()) if out.exists() else {}
    key = lambda r: (r["target"], r["mode"], r["embedder"])  # noqa: E731
    previous = {key(r): r for r in old.get("rows", [])}
    # A requery row updates its fields of the row it measured again.
    rows = [{**previous.get(key(r), {}), **r} for r in rows]
    fresh = {key(r) for r in rows}
    kept = [r for r in old.get("rows", []) if key(r) not in fresh]
    merged = sorted([*kept, *rows], key=lambda r: (r["embedder"], r["mode"], r["target"]))
    doc = {**old, **extra, "rows": merged}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="1000,10000,100000")
    p.add_argument("--modes", default="embedded,server")
    p.add_argument("--embedder", default="", help="a RAG_EMBEDDING_MODEL value, or 'hashing'")
    p.add_argument("--queries", type=int, default=40)
    p.add_argument("--raw-sample", type=int, default=5000)
    p.add_argument("--work", default="", help="folder for corpora and indexes (default: temp)")
    p.add_argument("--out", default=str(RESULTS / "scale.json"))
    p.add_argument("--plot", default=str(RESULTS / "scale.png"))
    p.add_argument("--no-plot", action="store_true")
    p.add_argument("--no-seeds", action="store_true", help="skip the seeds/ re-ingest timing")
    p.add_argument(
        "--requery",
        action="store_true",
        help="measure latency and a reader's RSS again on the indexes a previous run left "
        "in --work (no ingest); updates those fields of the rows",
    )
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--mode", default="embedded", help=argparse.SUPPRESS)
    p.add_argument("--url", default="", help=argparse.SUPPRESS)
    p.add_argument("--server-path", default="", help=argparse.SUPPRESS)
    p.add_argument("--server-pid", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    if args.child:
        print(json.dumps(requery(args) if args.requery else run_one(args)), flush=True)
        return 0
    work = Path(args.work or tempfile.mkdtemp(prefix="rag-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    out = Path(args.out)
    extra: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
    }
    if not args.no_seeds:
        extra["seeds_reingest"] = seeds_reingest(work)
        print(f"seeds/ unchanged re-ingest: {extra['seeds_reingest']}", flush=True)
    for size in (int(s) for s in args.sizes.split(",")):
        for mode in args.modes.split(","):
            row = _child(args, size, mode, work)
            print(json.dumps(row), flush=True)
            _merge(out, [row], extra)
    if not args.no_plot:
        from bench.scale_plot import plot

        return plot(out, Path(args.plot))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
