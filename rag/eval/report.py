"""Reports of evaluation results: JSON files, a printable comparison, a self-contained HTML page.

The HTML report has no dependency and no external asset: a summary of the runs (backend,
dataset, corpus), the generalization gap (``rag.eval.gap``), charts as inline SVG (metric
bars per run, a latency histogram per run), breakdowns per language, source and
paraphrase strategy and, per run, a table of every question with the backend that
answered it, its answer, citations and verdicts. Open it from disk in any browser.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.errors import ConfigError
from rag.eval.gap import gap_html, result_label

__all__ = ["QUALITY_METRICS", "compare", "load_result", "run_name", "write_html", "write_json"]

#: Metrics in [0, 1] drawn as bars; ``@k`` is replaced by the result's k.
QUALITY_METRICS = (
    "hit@k",
    "mrr",
    "ndcg@k",
    "recall@k",
    "source_hit@k",
    "evidence_in_context",
    "citation_precision",
    "citation_recall",
    "grounded",
    "correct",
    "correct_originals",
    "paraphrase_consistency",
    "token_f1",
    "abstention_precision",
    "abstention_recall",
    "false_abstention_rate",
)
_LOWER_IS_BETTER = ("false_abstention_rate", "errors", "uncited_answers")
_COLORS = ("#3b6ea8", "#d9822b", "#4a9d5b", "#b54a4a", "#7b5ea7", "#5b8c8c")


def write_json(result: dict[str, Any], path: str | Path) -> Path:
    """Write a result as indented UTF-8 JSON (parent folders are created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def load_result(path: str | Path) -> dict[str, Any]:
    """Read a result written by ``write_json``.

    Raises:
        ConfigError: the file is missing or is not an evaluation result.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(
            f"Cannot read evaluation result {path}: {exc}. Pass a --json file."
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("metrics"), dict):
        raise ConfigError(
            f"{path} is not an evaluation result (no 'metrics'): use `rag eval --json`."
        )
    return data


def run_name(result: dict[str, Any]) -> str:
    """How a report names a run: ``extractive test``, ``llamacpp manuals``."""
    return f"{result.get('backend')} {result_label(result)}"


def _lower_is_better(name: str) -> bool:
    return name.startswith("latency_") or name in _LOWER_IS_BETTER


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) >= 100 else f"{value:.3f}"
    return str(value)


def compare(a: dict[str, Any], b: dict[str, Any]) -> str:
    """A printable table of every metric of two results, with B - A and which is better.

    >>> print(compare({"backend": "x", "metrics": {"mrr": 0.5}},
    ...               {"backend": "y", "metrics": {"mrr": 0.75}}))  # doctest: +NORMALIZE_WHITESPACE
    metric  x      y      delta
    mrr     0.500  0.750  +0.250  better
    """
    ma, mb = a.get("metrics", {}), b.get("metrics", {})
    names = list(dict.fromkeys([*ma, *mb]))
    rows = [("metric", str(a.get("backend", "A")), str(b.get("backend", "B")), "delta", "")]
    for name in names:
        va, vb = ma.get(name), mb.get(name)
        delta, verdict = "", ""
        if isinstance(va, int | float) and isinstance(vb, int | float):
            d = vb - va
            delta = f"{d:+.1f}" if max(abs(va), abs(vb)) >= 100 else f"{d:+.3f}"
            if abs(d) > 1e-9:
                better = (d < 0) if _lower_is_better(name) else (d > 0)
                verdict = "better" if better else "worse"
        rows.append((name, _fmt(va), _fmt(vb), delta, verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


# --- HTML ------------------------------------------------------------------------

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222}
h1,h2,h3{font-weight:600} table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top;text-align:left}
th{background:#f2f2f2} td.num{text-align:right;font-variant-numeric:tabular-nums}
.ok{background:#e5f4e5} .bad{background:#f8e1e1} .na{color:#999}
.answer{min-width:300px;max-width:480px;white-space:pre-wrap} .small{font-size:12px;color:#555}
svg text{font:11px system-ui,sans-serif}
"""


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _bar_chart(results: Sequence[dict[str, Any]]) -> str:
    """Grouped horizontal bars: one group per metric, one bar per backend, scale 0..1."""
    names = [m.replace("@k", f"@{results[0].get('k', 5)}") for m in QUALITY_METRICS]
    bar, gap, left, width = 12, 10, 170, 420
    height = len(names) * (len(results) * bar + gap) + 30
    parts = [f'<svg width="{left + width + 60}" height="{height}" role="img">']
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = left + tick * width
        parts.append(f'<line x1="{x}" y1="0" x2="{x}" y2="{height - 20}" stroke="#ddd"/>')
        parts.append(f'<text x="{x}" y="{height - 6}" text-anchor="middle">{tick:g}</text>')
    y = 0
    for name in names:
        parts.append(
            f'<text x="{left - 6}" y="{y + bar * len(results) / 2 + 4}" '
            f'text-anchor="end">{_esc(name)}</text>'
        )
        for j, result in enumerate(results):
            value = result.get("metrics", {}).get(name)
            color = _COLORS[j % len(_COLORS)]
            if value is not None:
                w = max(0.0, min(1.0, float(value))) * width
                parts.append(
                    f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar - 2}" '
                    f'fill="{color}"><title>{_esc(run_name(result))}: '
                    f"{value:.3f}</title></rect>"
                )
                parts.append(f'<text x="{left + w + 4:.1f}" y="{y + bar - 3}">{value:.2f}</text>')
            else:
                parts.append(f'<text x="{left + 4}" y="{y + bar - 3}" fill="#999">n/a</text>')
            y += bar
        y += gap
    parts.append("</svg>")
    return "".join(parts)


def _histogram(values: Sequence[float], color: str, bins: int = 12) -> str:
    """Latency histogram (ms) as an SVG bar chart."""
    if not values:
        return '<p class="na">no latencies</p>'
    lo, hi = min(values), max(values)
    step = (hi - lo) / bins or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / step))] += 1
    w, h, left, pad = 36, 120, 30, 16  # pad: room for the count above the tallest bar
    top = max(counts)
    parts = [f'<svg width="{left + bins * w + 10}" height="{pad + h + 36}" role="img">']
    for i, c in enumerate(counts):
        bh = h * c / top
        x = left + i * w
        parts.append(
            f'<rect x="{x}" y="{pad + h - bh:.1f}" width="{w - 3}" height="{bh:.1f}" '
            f'fill="{color}"><title>{c} questions</title></rect>'
        )
        if c:
            parts.append(
                f'<text x="{x + w / 2}" y="{pad + h - bh - 3:.1f}" text-anchor="middle">{c}</text>'
            )
        if i % 2 == 0:
            parts.append(f'<text x="{x}" y="{pad + h + 14}">{lo + i * step:.0f}</text>')
    parts.append(f'<text x="{left}" y="{pad + h + 30}">ms per question (total)</text></svg>')
    return "".join(parts)


def _breakdown(result: dict[str, Any], key: str) -> str:
    k = result.get("k", 5)
    cols = [f"hit@{k}", "mrr", "citation_recall", "grounded", "correct", "abstention_recall"]
    cols += ["false_abstention_rate", "paraphrase_consistency"]
    rows = [f"<tr><th>{_esc(key)}</th><th>n</th>" + "".join(f"<th>{c}</th>" for c in cols)]
    if not result.get(key):
        return ""
    for group, metrics in result.get(key, {}).items():
        cells = "".join(f'<td class="num">{_fmt(metrics.get(c))}</td>' for c in cols)
        rows.append(
            f"<tr><td>{_esc(group)}</td><td class='num'>{metrics.get('n')}</td>{cells}</tr>"
        )
    return "<table>" + "".join(rows) + "</table>"


def _verdict_cell(value: Any, good: bool | None = None) -> str:
    if value is None:
        return '<td class="na">-</td>'
    if good is None:
        good = bool(value) if isinstance(value, bool) else float(value) >= 0.5
    text = ("yes" if value else "no") if isinstance(value, bool) else f"{float(value):.2f}"
    return f'<td class="{"ok" if good else "bad"} num">{text}</td>'


def _question_table(result: dict[str, Any]) -> str:
    head = (
        "id",
        "lang",
        "question",
        "backend",
        "answer",
        "citations",
        "hit",
        "RR",
        "correct",
        "F1",
        "cit. recall",
        "cit. precision",
        "abstention",
        "ms",
    )
    rows = ['<table class="questions"><tr>' + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for q in result.get("questions", []):
        v = q.get("verdicts", {})
        cites = "<br>".join(
            _esc(f"[{c['n']}] {c['source']} {c.get('locator', '')}".strip())
            for c in q.get("citations", [])
        )
        abst = v.get("abstention", "")
        route = " → ".join(str(step.get("step", "?")) for step in q.get("trace") or [])
        wording = f"{q.get('strategy') or 'paraphrase'} of {q.get('paraphrase_of')}"
        answer = (
            _esc(q.get("answer", ""))
            + "".join(
                f'<br><span class="small"><b>removed:</b> {_esc(u)}</span>'
                for u in q.get("unsupported", [])
            )
            + (f"<br><b>error:</b> {_esc(q['error'])}" if q.get("error") else "")
            + (f'<br><span class="small"><b>route:</b> {_esc(route)}</span>' if route else "")
        )
        asked = _esc(q["question"]) + (
            f'<br><span class="small">{_esc(wording)}</span>' if q.get("paraphrase_of") else ""
        )
        rows.append(
            f"<tr id='{_esc(run_name(result).replace(' ', '-'))}-{_esc(q['id'])}'>"
            f"<td>{_esc(q['id'])}</td><td>{_esc(q['lang'])}</td><td>{asked}</td>"
            f"<td>{_esc(q.get('backend') or '-')}</td>"
            f'<td class="answer">{answer}</td><td class="small">{cites}</td>'
            + _verdict_cell(v.get("hit"))
            + _verdict_cell(v.get("rr"))
            + _verdict_cell(v.get("correct"))
            + _verdict_cell(v.get("token_f1"))
            + _verdict_cell(v.get("citation_recall"))
            + _verdict_cell(v.get("citation_precision"))
            + f'<td class="{"ok" if abst in ("answered", "correct abstention") else "bad"}">'
            f"{_esc(abst)}</td><td class='num'>{_fmt(q.get('latency_ms'))}</td></tr>"
        )
    return "".join(rows) + "</table>"


def write_html(results: Sequence[dict[str, Any]], path: str | Path) -> Path:
    """Write a self-contained HTML report comparing one or more results (any backends,
    splits and corpora; the gap section pairs them up by backend)."""
    if not results:
        raise ConfigError("No evaluation results to report: run `rag eval` first.")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    legend = "".join(
        f'<span style="color:{_COLORS[i % len(_COLORS)]}">&#9632;</span> {_esc(run_name(r))} '
        for i, r in enumerate(results)
    )
    summary = [
        "<table><tr><th>backend</th><th>run</th><th>dataset</th><th>corpus</th>"
        "<th>questions</th><th>judge</th>"
        "<th>p50 ms</th><th>p95 ms</th><th>created</th></tr>"
    ]
    for r in results:
        m = r.get("metrics", {})
        summary.append(
            f"<tr><td>{_esc(r.get('backend'))}</td><td>{_esc(result_label(r))}</td>"
            f"<td>{_esc(r.get('dataset'))}</td><td>{_esc(r.get('corpus') or '-')}</td>"
            f"<td class='num'>{r.get('n')}</td><td>{_esc(r.get('judge'))}</td>"
            f"<td class='num'>{_fmt(m.get('latency_p50_ms'))}</td>"
            f"<td class='num'>{_fmt(m.get('latency_p95_ms'))}</td>"
            f"<td>{_esc(r.get('created'))}</td></tr>"
        )
    body = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>RAG evaluation report</title><style>{_CSS}</style></head><body>",
        "<h1>RAG evaluation report</h1>",
        "".join(summary),
        "</table>",
        gap_html(results),
        f"<h2>Metrics per run</h2><p>{legend}</p>",
        _bar_chart(results),
        "<h2>Latency</h2>",
    ]
    for i, r in enumerate(results):
        lat = [q["latency_ms"] for q in r.get("questions", []) if q.get("latency_ms") is not None]
        body.append(f"<h3>{_esc(run_name(r))}</h3>")
        body.append(_histogram(lat, _COLORS[i % len(_COLORS)]))
    for r in results:
        body.append(f"<h2>Breakdowns: {_esc(run_name(r))}</h2>")
        body.append(
            _breakdown(r, "by_lang") + _breakdown(r, "by_source") + _breakdown(r, "by_strategy")
        )
    for r in results:
        body.append(f"<h2>Questions: {_esc(run_name(r))}</h2>{_question_table(r)}")
    body.append("</body></html>\n")
    path.write_text("\n".join(body), encoding="utf-8")
    return path
