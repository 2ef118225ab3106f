"""What a corpus file must pass before a byte of it is read.

``refusal(path, root, max_bytes)`` is ``None`` for a file ingest may read, else the
reason it is skipped, for the ingest summary, and whether an earlier indexed version
may stay (an oversized file: yes; a link outside the corpus: no):

    >>> refusal(Path("corpus/notes.txt"), Path("corpus"), 50_000_000)  # doctest: +SKIP
    >>> refusal(Path("corpus/secrets.txt"), Path("corpus"), 50_000_000).reason  # doctest: +SKIP
    'a symbolic link to a file outside the corpus folder; not followed (copy the file in)'

Refused: a symbolic link (to a file, or through a linked folder) that leads outside
the corpus folder, which would index whatever it points at (``~/.ssh/id_rsa``); a file
name with a line break or another control character, which would forge lines in the
summary, the CLI's sources and the UI; a file over the size limit
(``Settings.max_file_bytes``), which would hold the whole ingest in memory.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from typing import NamedTuple

__all__ = ["Refusal", "refusal", "safe_name"]


class Refusal(NamedTuple):
    """Why a file is skipped, and whether its previously indexed version may stay."""

    reason: str
    keep_indexed: bool = False


def refusal(path: Path, root: Path, max_bytes: int) -> Refusal | None:
    """Why ``path`` (a file under ``root``) must not be ingested, or None."""
    name = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return Refusal("its name contains a line break or another control character; rename it")
    try:
        real = path.resolve(strict=True)
        inside = real.is_relative_to(root.resolve(strict=True))
    except (OSError, RuntimeError):  # a dangling or looping link
        return Refusal("a broken symbolic link (its target is missing or loops); remove it")
    if not inside:
        return Refusal(
            "a symbolic link to a file outside the corpus folder; not followed (copy the file in)"
        )
    try:
        size = os.stat(real).st_size
    except OSError as exc:
        return Refusal(f"cannot read the file ({exc.strerror or exc})", keep_indexed=True)
    if size > max_bytes:
        return Refusal(
            f"{_mb(size)} is over the {_mb(max_bytes)} limit (RAG_MAX_FILE_BYTES); split the "
            "file or raise the limit",
            keep_indexed=True,
        )
    return None


def safe_name(name: str) -> str:
    """``name`` with control characters shown as escapes, for one-line messages.

    >>> safe_name("evil\\nskipped x.txt: forged")
    'evil\\\\nskipped x.txt: forged'
    """
    if not any(unicodedata.category(ch) == "Cc" for ch in name):
        return name
    return "".join(repr(ch)[1:-1] if unicodedata.category(ch) == "Cc" else ch for ch in name)


def _mb(n: int) -> str:
    """A size for people: "850 kB", "3.2 MB", "120 MB"."""
    if n < 1_000_000:
        return f"{n / 1000:.0f} kB" if n >= 1000 else f"{n} bytes"
    return f"{n / 1_000_000:.1f} MB" if n < 10_000_000 else f"{n / 1_000_000:.0f} MB"
