"""Measuring helpers of ``bench.scale``: percentiles, disk use, the raw encode rate, the
embedder's time inside an ingest, a server's peak RSS, and starting ``chroma run``."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

__all__ = [
    "du",
    "pct",
    "peak_rss",
    "raw_rate",
    "sample_texts",
    "start_server",
    "timing_embed",
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def du(*paths: Path) -> int:
    return sum(f.stat().st_size for p in paths if p.exists() for f in p.rglob("*") if f.is_file())


def sample_texts(corpus: Path, sample: int, settings: Any) -> list[str]:
    """Chunk texts of a seeded sample of the corpus files, as the ingest will cut them."""
    from rag.chunking import chunk_document
    from rag.ingest import load_document

    files = sorted(corpus.glob("*.txt"))
    random.Random(16).shuffle(files)
    texts: list[str] = []
    for path in files:
        if len(texts) >= sample:
            break
        doc = load_document(path, corpus)
        texts += [c.text for c in chunk_document(doc, max_tokens=settings.chunk_tokens)]
    return texts[:sample]


def raw_rate(embedder: Any, texts: list[str], batch: int = 0) -> tuple[float, int]:
    """(texts/s, batch size): the embedder alone on chunk texts. A sentence-transformers
    model runs at ``batch``, or the best of a few batch sizes tried first; another
    embedder (USE, the bench's hashing one) through its own ``embed``."""
    from rag.embeddings import Embedder

    if type(embedder) is not Embedder:
        t = time.perf_counter()
        embedder.embed(texts, progress=False)
        return len(texts) / (time.perf_counter() - t), embedder.batch_size
    model = embedder._load()
    if not batch:
        probe = texts[:256]
        rates = {}
        for bs in (16, 32, 64, 128):
            t = time.perf_counter()
            model.encode(probe, batch_size=bs, normalize_embeddings=True, show_progress_bar=False)
            rates[bs] = len(probe) / (time.perf_counter() - t)
        batch = max(rates, key=lambda b: rates[b])
    t = time.perf_counter()
    model.encode(texts, batch_size=batch, normalize_embeddings=True, show_progress_bar=False)
    return len(texts) / (time.perf_counter() - t), batch


def timing_embed(embedder: Any) -> list[float]:
    """Make this embedder add the seconds its ``embed`` takes to the returned list."""
    spent = [0.0]
    real = embedder.embed

    def embed(texts: list[str], **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return real(texts, **kwargs)
        finally:
            spent[0] += time.perf_counter() - t

    embedder.embed = embed
    return spent


def peak_rss(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def start_server(path: Path) -> tuple[subprocess.Popen[bytes], str]:
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    chroma = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1).close()
            return proc, url
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.25)
    proc.kill()
    raise RuntimeError(f"chroma run did not start (exit code {proc.poll()})")
