"""The plot of ``bench/results/scale.json``: query latency and ingest rate against size.

    python -m bench.scale_plot [bench/results/scale.json] [bench/results/scale.png]

Needs matplotlib, which is not a dependency of the product: ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

__all__ = ["plot"]


def plot(results: Path, out: Path) -> int:
    """Write the PNG; 1 (with how to install it) when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(
            "bench.scale: the plot needs matplotlib, which is not installed. Install it with\n"
            "    .venv/bin/pip install -e '.[bench]'\n"
            f"then run `python -m bench.scale_plot {results} {out}` (the results are written).",
            file=sys.stderr,
        )
        return 1
    rows = json.loads(results.read_text(encoding="utf-8"))["rows"]
    fig, (lat, ing) = plt.subplots(1, 2, figsize=(12, 4.8))
    series = sorted({(r["embedder"], r["mode"]) for r in rows})
    for embedder, mode in series:
        mine = sorted(
            (r for r in rows if (r["embedder"], r["mode"]) == (embedder, mode)),
            key=lambda r: r["chunks"],
        )
        hashing = embedder == "hashing"
        label = f"{mode}, {'hashing embedder' if hashing else embedder.rsplit('/', 1)[-1]}"
        style = "-" if mode == "embedded" else "--"
        # A model's latency is mostly its query embedding: its hybrid line only.
        metrics = (
            ("hybrid_p50_ms", "dense_p50_ms", "bm25_p50_ms") if hashing else ("hybrid_p50_ms",)
        )
        for metric, marker in zip(metrics, "os^", strict=False):
            lat.plot(
                [r["chunks"] for r in mine],
                [r[metric] for r in mine],
                style,
                marker=marker,
                label=f"{metric.split('_')[0]} p50 ({label})",
            )
        ingested = [r for r in mine if r.get("ingest_chunks_per_s")]
        xs = [r["chunks"] for r in ingested]
        ing.plot(
            xs,
            [r["ingest_chunks_per_s"] for r in ingested],
            style,
            marker="o",
            label=f"ingest ({label})",
        )
        if not hashing:  # the hashing embedder's raw rate (~10k/s) says nothing
            ing.plot(
                xs,
                [r["raw_encode_per_s"] for r in ingested],
                ":",
                marker="x",
                label=f"raw encode, same run ({label})",
            )
    lat.axhline(60, color="grey", linewidth=0.8)
    lat.text(1000, 63, "60 ms: hybrid p50 target at 100k, embedded", fontsize=7)
    for ax, title, ylabel in ((lat, "Query latency", "ms"), (ing, "Ingest rate", "chunks/s")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("chunks in the index")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    raise SystemExit(
        plot(
            Path(args[0]) if args else RESULTS / "scale.json",
            Path(args[1]) if len(args) > 1 else RESULTS / "scale.png",
        )
    )
