"""A bag-of-words hashing embedder for measuring the store at sizes the model cannot reach.

On 2 shared cores MiniLM embeds a few dozen chunks a second, so a 100k-chunk corpus takes
hours; the store's costs (upsert, HNSW search, BM25, disk) do not depend on which model
made the vectors, only on their number and dimension. This embedder gives 384-d unit
vectors from hashed word counts (texts sharing words are near each other, as with a
model), ~100x faster. ``python -m bench.scale --embedder hashing`` uses it, and its rows
say ``"embedder": "hashing"``: their ingest rate is not the product's.

    use_hashing_embedder()   # every index opened afterwards in this process uses it
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import numpy as np

from rag.embeddings import Embedder

__all__ = ["HashingEmbedder", "use_hashing_embedder"]


@cache
def _slot(word: str, dim: int) -> tuple[int, float]:
    h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
    return h % dim, 1.0 if (h >> 32) & 1 else -1.0


class HashingEmbedder(Embedder):
    """384-d signed feature hashing of lower-cased words, unit length."""

    DIM = 384

    def __init__(self) -> None:
        super().__init__("bench-hashing-384", Path(), 256)

    @property
    def dim(self) -> int:
        return self.DIM

    def embed(self, texts: list[str], *, progress: bool | None = None) -> np.ndarray:
        from rag.text import words

        out = np.zeros((len(texts), self.DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            for w in words(text):
                i, sign = _slot(w, self.DIM)
                out[row, i] += sign
        out[:, 0] += 1e-3  # an empty text still has a direction
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out


def use_hashing_embedder() -> None:
    """Make ``rag.index.open_index`` use the hashing embedder in this process."""
    import rag.index.chunks

    embedder = HashingEmbedder()
    rag.index.chunks.get_embedder = lambda settings: embedder  # type: ignore[assignment]
