"""An optional cross-encoder that re-reads the best fused candidates with the question.

None is packaged, so reranking is off unless ``RAG_RERANKER_MODEL`` names a
sentence-transformers cross-encoder directory (for example one saved by
``CrossEncoder(...).save(dir)``); nothing is ever downloaded. When set, ``retrieve``
scores its first ``RAG_RERANKER_CANDIDATES`` fused passages with the model (question and
passage read together, which embeddings and BM25 cannot do) and orders them by that score;
the rest keep their fused order behind them. ``Passage.score`` stays the dense cosine.

    reranker = get_reranker(settings)            # None when RAG_RERANKER_MODEL is unset
    passages = reranker.rerank(question, passages, settings.reranker_candidates)
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.errors import ConfigError

if TYPE_CHECKING:
    from rag.config import Settings
    from rag.types import Passage

__all__ = ["Reranker", "get_reranker"]


class Reranker:
    """A cross-encoder loaded from ``model_dir`` on first use."""

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = model_dir
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                from rag.embeddings import offline_hub

                offline_hub()  # before the import: huggingface_hub reads it then
                from sentence_transformers import CrossEncoder

                try:
                    self._model = CrossEncoder(
                        str(self.model_dir), device="cpu", local_files_only=True
                    )
                except Exception as exc:  # any load failure is the user's model dir
                    raise ConfigError(
                        f"Cannot load the reranker from {self.model_dir}: {exc}. Set "
                        "RAG_RERANKER_MODEL to a sentence-transformers cross-encoder "
                        "directory, or unset it to rank without one."
                    ) from exc
        return self._model

    def scores(self, question: str, texts: list[str]) -> list[float]:
        """The model's score of each ``(question, text)`` pair, higher is better."""
        if not texts:
            return []
        got = self._load().predict([(question, t) for t in texts], show_progress_bar=False)
        return [float(x) for x in got]

    def rerank(self, question: str, passages: list[Passage], candidates: int) -> list[Passage]:
        """The first ``candidates`` passages by the model's score, then the rest as given."""
        head, tail = passages[:candidates], passages[candidates:]
        scores = self.scores(question, [p.text for p in head])
        order = sorted(range(len(head)), key=lambda i: -scores[i])
        return [head[i] for i in order] + tail


_cache: dict[Path, Reranker] = {}
_cache_lock = threading.Lock()


def get_reranker(settings: Settings) -> Reranker | None:
    """The configured reranker (one per model directory and process), or None.

    Raises:
        ConfigError: ``RAG_RERANKER_MODEL`` is not a model directory.
    """
    if not settings.reranker_model:
        return None
    path = Path(settings.reranker_model).expanduser()
    if not (path / "config.json").is_file():
        raise ConfigError(
            f"RAG_RERANKER_MODEL={settings.reranker_model!r} is not a model directory (no "
            "config.json there). Point it at a sentence-transformers cross-encoder saved on "
            "this machine, or unset it: retrieval works without a reranker."
        )
    key = path.resolve()
    with _cache_lock:
        if key not in _cache:
            _cache[key] = Reranker(key)
        return _cache[key]
