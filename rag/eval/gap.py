"""The generalization gap: how much better the pipeline does where it was designed.

Every mechanism is tuned on the ``dev`` split; ``test`` holds new questions on the same
documents and a second corpus holds new documents. Two differences per backend and
metric say how much of a dev score carries over:

- **dev - test**: what tuning on these very questions bought (wording, not documents);
- **test - <corpus>**: what the seed documents themselves bought (genre, layout, vocabulary).

For ``correct``, ``abstention_recall``, ``citation_precision`` and
``paraphrase_consistency`` a positive gap means the home set flatters the pipeline; for
``false_abstention_rate`` (lower is better) a negative one does.

    >>> dev = {"backend": "x", "label": "dev", "metrics": {"correct": 0.9}}
    >>> test = {"backend": "x", "label": "test", "metrics": {"correct": 0.7}}
    >>> generalization_gaps([dev, test])[0]["rows"][0]["dev_minus_test"]  # doctest: +ELLIPSIS
    0.2...
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from rag.eval.datasets import split_name

__all__ = ["GAP_METRICS", "gap_html", "gap_text", "generalization_gaps", "result_label"]

GAP_METRICS = (
    "correct",
    "false_abstention_rate",
    "abstention_recall",
    "citation_precision",
    "paraphrase_consistency",
)


def result_label(result: dict[str, Any]) -> str:
    """The run's label (``dev``, ``test``, a corpus name); older results without one are
    named by their dataset file."""
    if result.get("label"):
        return str(result["label"])
    return split_name(result["dataset"]) if result.get("dataset") else "?"


def _diff(a: Any, b: Any) -> float | None:
    return a - b if isinstance(a, int | float) and isinstance(b, int | float) else None


def generalization_gaps(results: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per backend (in order of appearance): the values on ``dev``, ``test`` and each
    other corpus' test split, and the gaps, for every metric of ``GAP_METRICS``.

    Returns:
        ``[{"backend", "corpora": [names], "rows": [{"metric", "dev", "test",
        "dev_minus_test", "corpora": {name: {"value", "test_minus_corpus"}}}]}]``;
        a value is ``None`` when that run is absent or the metric does not apply.
    """
    runs: dict[str, dict[str, dict[str, Any]]] = {}
    for r in results:
        runs.setdefault(str(r.get("backend")), {})[result_label(r)] = r.get("metrics", {})
    out = []
    for backend, by_label in runs.items():
        dev, test = by_label.get("dev", {}), by_label.get("test", {})
        corpora = sorted(
            {
                result_label(r)
                for r in results
                if str(r.get("backend")) == backend
                and r.get("split") == "test"
                and result_label(r) not in ("dev", "test")
            }
        )
        rows = []
        for metric in GAP_METRICS:
            row: dict[str, Any] = {
                "metric": metric,
                "dev": dev.get(metric),
                "test": test.get(metric),
                "dev_minus_test": _diff(dev.get(metric), test.get(metric)),
                "corpora": {},
            }
            for name in corpora:
                value = by_label[name].get(metric)
                row["corpora"][name] = {
                    "value": value,
                    "test_minus_corpus": _diff(test.get(metric), value),
                }
            rows.append(row)
        out.append({"backend": backend, "corpora": corpora, "rows": rows})
    return out


def _num(value: Any, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


def _table(results: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    gaps = generalization_gaps(results)
    corpora = list(dict.fromkeys(c for g in gaps for c in g["corpora"]))
    head = ["backend", "metric", "dev", "test", "dev-test"]
    for name in corpora:
        head += [name, f"test-{name}"]
    body = []
    for g in gaps:
        for row in g["rows"]:
            cells = [g["backend"], row["metric"], _num(row["dev"]), _num(row["test"])]
            cells.append(_num(row["dev_minus_test"], signed=True))
            for name in corpora:
                c = row["corpora"].get(name, {})
                cells += [_num(c.get("value")), _num(c.get("test_minus_corpus"), signed=True)]
            body.append(cells)
    return head, body


def gap_text(results: Sequence[dict[str, Any]]) -> str:
    """The gaps as a printable table (what ``rag eval --from`` prints)."""
    head, body = _table(results)
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    lines = ["generalization gap: dev - test (seeds), test - other corpus (test splits)"]
    for r in [head, *body]:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return "\n".join(lines)


def gap_html(results: Sequence[dict[str, Any]]) -> str:
    """The gaps as an HTML section for the report."""
    head, body = _table(results)
    rows = ["<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"]
    for cells in body:
        tds = [f"<td>{html.escape(c)}</td>" for c in cells[:2]]
        tds += [f'<td class="num">{html.escape(c)}</td>' for c in cells[2:]]
        rows.append("<tr>" + "".join(tds) + "</tr>")
    note = (
        "<p class='small'>Designed on dev; test holds new questions on the same documents, "
        "the other corpora new documents. A positive gap on correct, abstention_recall, "
        "citation_precision or paraphrase_consistency (negative on false_abstention_rate) "
        "is what the home set flatters.</p>"
    )
    return "<h2>Generalization gap</h2>" + note + "<table>" + "".join(rows) + "</table>"
