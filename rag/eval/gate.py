"""The quality gate: thresholds a result must meet, per dataset and backend.

A thresholds file (``eval/thresholds.json``) holds one block per dataset label and
backend, ``{"test": {"extractive": {...}, "llamacpp": {...}}, "<corpus>": {...}}``; a
block maps metric names to limits. A plain key is a minimum, a key ending in ``<=`` a
maximum (rates, latencies, counts), and ``lang:metric`` reads one language's figure:

    >>> check_thresholds({"metrics": {"hit@5": 0.71, "latency_p95_ms": 900.0}},
    ...                  {"hit@5": 0.8, "latency_p95_ms<=": 1000})
    ['hit@5 = 0.71 < 0.80']
    >>> check_thresholds({"by_lang": {"en": {"grounded": 0.9}}}, {"en:grounded": 0.95})
    ['en:grounded = 0.90 < 0.95']
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rag.errors import ConfigError

__all__ = ["check_thresholds", "load_thresholds", "thresholds_for"]


def check_thresholds(result: dict[str, Any], thresholds: dict[str, float]) -> list[str]:
    """One message per metric outside its threshold (empty = pass); see the module
    docstring for the keys."""
    failures = []
    for key, limit in thresholds.items():
        if key.startswith("_"):  # "_comment" and the like
            continue
        is_max = key.endswith("<=")
        name = key[:-2].strip() if is_max else key.removesuffix(">=").strip()
        group, _, metric = name.rpartition(":")
        metrics = result.get("by_lang", {}).get(group, {}) if group else result.get("metrics", {})
        value = metrics.get(metric)
        if value is None:
            failures.append(f"{name} is missing from the result (no questions it applies to?)")
        elif is_max and value > limit:
            failures.append(f"{name} = {_num(value)} > {_num(limit)} (maximum)")
        elif not is_max and value < limit:
            failures.append(f"{name} = {_num(value)} < {_num(limit)}")
    return failures


def _num(value: float) -> str:
    """Rates with two decimals, counts as counts."""
    return str(value) if isinstance(value, int) else f"{value:.2f}"


def load_thresholds(path: str | Path) -> dict[str, Any]:
    """Read a thresholds file.

    Raises:
        ConfigError: the file is missing or is not a JSON object.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"Cannot read the thresholds {path}: {exc}. Check --thresholds.") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object of thresholds.")
    return data


def thresholds_for(config: dict[str, Any], label: str, backend: str) -> dict[str, float]:
    """The block of ``config`` for a dataset label and backend. A flat file (metric ->
    limit at the top level) applies to every run.

    Raises:
        ConfigError: the file has no block for this label and backend.
    """
    plain = {k: v for k, v in config.items() if not k.startswith("_")}
    if all(isinstance(v, int | float) for v in plain.values()):
        return plain
    block = plain.get(label, {}).get(backend) if isinstance(plain.get(label), dict) else None
    if not isinstance(block, dict):
        raise ConfigError(
            f"The thresholds have no block for dataset {label!r} and backend {backend!r}: "
            f'add "{label}": {{"{backend}": {{...}}}} (labels there: {", ".join(plain)}).'
        )
    return block
