"""Question sets: read and validate a JSONL file, name its split.

One JSON object per line (see ../shared/DESIGN.md and eval/README.md): ``id``,
``question``, ``answerable`` are required; ``lang``, ``sources``, ``facts``, ``reference``,
``evidence`` (verbatim quotes), ``history`` (earlier turns), ``paraphrase_of`` (the id of
the question this row rewords, in the same file) and ``strategy`` (how it rewords it: one
of ``STRATEGIES``) are optional. A paraphrase is a full question of its own; the harness
groups it with its original to measure whether a change of wording changes the answer.

    >>> split_name("eval/dev.jsonl"), split_name("eval/manuals/test.jsonl")
    ('dev', 'test')
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import DatasetError
from rag.types import Turn

__all__ = ["STRATEGIES", "EvalItem", "load_dataset", "paraphrase_sample", "split_name"]

#: How a paraphrase rewords its original: an acronym for a full name or short form (or
#: back), context words added or removed, another question shape, another language.
STRATEGIES = ("acronym", "context", "shape", "language")

_REQUIRED = ("id", "question", "answerable")
_LISTS = ("sources", "evidence")


@dataclass(frozen=True)
class EvalItem:
    """One question of an evaluation set (a line of the JSONL file).

    ``paraphrase_of`` is empty for an original question; ``group`` is the id of the
    original either way, so an original and its paraphrases share it.
    """

    id: str
    question: str
    answerable: bool
    lang: str = "en"
    sources: tuple[str, ...] = ()
    facts: tuple[tuple[str, ...], ...] = ()
    reference: str = ""
    evidence: tuple[str, ...] = ()
    history: tuple[Turn, ...] = field(default_factory=tuple)
    paraphrase_of: str = ""
    strategy: str = ""

    @property
    def group(self) -> str:
        """The id of the original question this item is (or rewords)."""
        return self.paraphrase_of or self.id


def split_name(path: str | Path) -> str:
    """The split a dataset file holds: its file name without suffix (``dev``, ``test``)."""
    return Path(path).stem


def paraphrase_sample(
    items: list[EvalItem], every: int, originals_every: int = 1
) -> list[EvalItem]:
    """Every unanswerable original question, every ``originals_every``-th answerable one,
    and every wording (the original included) of each ``every``-th paraphrase group, in
    file order: whole groups, so paraphrase consistency is measured on fewer questions
    (the local model's CI time). ``every=1`` keeps everything."""
    groups = list(dict.fromkeys(i.group for i in items if i.paraphrase_of))
    kept = set(groups[:: max(1, every)])
    answerable = [i.id for i in items if not i.paraphrase_of and i.answerable]
    first = set(answerable[:: max(1, originals_every)])
    first |= {i.id for i in items if not i.paraphrase_of and not i.answerable}
    return [i for i in items if i.group in kept or i.id in first]


def load_dataset(path: str | Path) -> list[EvalItem]:
    """Read and validate a JSONL question set.

    Raises:
        DatasetError: the file is missing, empty, or a line is not valid (the message
            names the file and line and says what is expected).
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DatasetError(
            f"Cannot read the dataset {path}: {exc.strerror}. Check the path."
        ) from exc
    items: list[EvalItem] = []
    where: dict[str, str] = {}
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        here = f"{path}, line {lineno}"
        item = _parse_line(line, here)
        if item.id in where:
            raise DatasetError(f"{here}: duplicate id {item.id!r}; ids must be unique.")
        where[item.id] = here
        items.append(item)
    if not items:
        raise DatasetError(f"The dataset {path} has no questions: add one JSON object per line.")
    _check_paraphrases(items, where)
    return items


def _check_paraphrases(items: list[EvalItem], where: dict[str, str]) -> None:
    """Each ``paraphrase_of`` names an original question of the same file."""
    by_id = {i.id: i for i in items}
    for item in items:
        if not item.paraphrase_of:
            continue
        original = by_id.get(item.paraphrase_of)
        if original is None:
            raise DatasetError(
                f"{where[item.id]}: paraphrase_of {item.paraphrase_of!r} names no question "
                "of this file; use the id of the original question."
            )
        if original.paraphrase_of:
            raise DatasetError(
                f"{where[item.id]}: paraphrase_of {item.paraphrase_of!r} is itself a "
                f"paraphrase (of {original.paraphrase_of!r}); point at the original."
            )


def _parse_line(line: str, where: str) -> EvalItem:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DatasetError(
            f"{where}: not valid JSON ({exc.msg}); write one object per line."
        ) from exc
    if not isinstance(row, dict):
        raise DatasetError(f"{where}: expected a JSON object with keys {', '.join(_REQUIRED)}.")
    missing = [key for key in _REQUIRED if key not in row]
    if missing:
        raise DatasetError(f"{where}: missing key(s) {', '.join(missing)}.")
    if not isinstance(row["question"], str) or not row["question"].strip():
        raise DatasetError(f"{where}: 'question' must be a non-empty string.")
    if not isinstance(row["answerable"], bool):
        raise DatasetError(f"{where}: 'answerable' must be true or false.")
    for key in _LISTS:
        value = row.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise DatasetError(f"{where}: '{key}' must be a list of strings.")
    facts = row.get("facts", [])
    if not isinstance(facts, list) or not all(
        isinstance(g, list) and g and all(isinstance(a, str) and a for a in g) for g in facts
    ):
        raise DatasetError(f"{where}: 'facts' must be a list of non-empty lists of strings.")
    history = []
    for turn in row.get("history", []):
        if not isinstance(turn, dict) or turn.get("role") not in ("user", "assistant"):
            raise DatasetError(f"{where}: 'history' turns need a role of user or assistant.")
        history.append(Turn(role=turn["role"], content=str(turn.get("content", ""))))
    paraphrase_of, strategy = _paraphrase_keys(row, where)
    return EvalItem(
        id=str(row["id"]),
        question=row["question"],
        answerable=row["answerable"],
        lang=str(row.get("lang") or "en"),
        sources=tuple(row.get("sources", [])),
        facts=tuple(tuple(g) for g in facts),
        reference=str(row.get("reference", "")),
        evidence=tuple(row.get("evidence", [])),
        history=tuple(history),
        paraphrase_of=paraphrase_of,
        strategy=strategy,
    )


def _paraphrase_keys(row: dict[str, Any], where: str) -> tuple[str, str]:
    of = row.get("paraphrase_of")
    strategy = row.get("strategy")
    if of is not None and (not isinstance(of, str | int) or not str(of).strip()):
        raise DatasetError(f"{where}: 'paraphrase_of' must be the id of the original question.")
    if of is not None and str(of) == str(row["id"]):
        raise DatasetError(f"{where}: 'paraphrase_of' names the row itself; name its original.")
    if strategy is not None:
        if strategy not in STRATEGIES:
            raise DatasetError(
                f"{where}: 'strategy' must be one of {', '.join(STRATEGIES)}, not {strategy!r}."
            )
        if of is None:
            raise DatasetError(
                f"{where}: 'strategy' says how a paraphrase rewords its original: "
                "add 'paraphrase_of' with the original's id, or drop 'strategy'."
            )
    return ("" if of is None else str(of)), (strategy or "")
