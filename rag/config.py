"""One frozen ``Settings`` object: defaults, overridden by ``RAG_*`` environment variables.

Every field ``name`` is read from ``RAG_NAME`` (upper case) by ``Settings.from_env()``:

    >>> Settings.from_env({"RAG_TOP_K": "8"}).top_k
    8

Paths are kept as given (relative paths resolve against the current directory when used).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from rag.errors import ConfigError

__all__ = ["BACKENDS", "EXTRACTIVE_MIN_SCORES", "Settings"]

BACKENDS = ("auto", "extractive", "llamacpp", "openai")

#: The extractive backend's abstention threshold per embedder, measured on the dev split.
#: USE: ``rag eval --backend extractive`` with the threshold at 0, swept over each
#: question's best sentence score: the highest value whose false abstention stays at or
#: under 0.15 (0.139; abstention 0.18). MiniLM: chosen on dev in an earlier session (the
#: same sweep gives 0.35). Another embedder (a model directory, a "+" combination) gets
#: the MiniLM value until it is measured.
EXTRACTIVE_MIN_SCORES = {"all-MiniLM-L6-v2": 0.4, "use-multilingual-v3": 0.25}


@dataclass(frozen=True)
class Settings:
    """All configuration. Build with ``Settings.from_env()`` or ``Settings(...)``."""

    # Where things live.
    data_dir: Path = Path(".rag")
    corpus_dir: Path = Path("seeds")
    collection: str = "rag_chunks"
    chroma_url: str | None = None  # server mode when set, e.g. http://127.0.0.1:8000

    # Embeddings: "all-MiniLM-L6-v2" (packaged, English-centric) is the default;
    # "use-multilingual-v3" (en/fr/it and 13 more languages in one space), a
    # sentence-transformers directory, or several joined by "+" (rag.embeddings).
    embedding_model: str = "all-MiniLM-L6-v2"
    embedding_batch_size: int = 32

    # Chunking (tokens are cl100k_base tokens).
    chunk_tokens: int = 160
    chunk_overlap_sentences: int = 1

    # Retrieval.
    top_k: int = 5
    # HNSW search breadth of the dense index (Chroma's ef_search; its default is 100).
    # Retrieval asked each dense list for 40 candidates (80 now); at 100, two builds of the same
    # 501-chunk corpus returned different candidates (2 of 227 evidence hits changed, and
    # the CI gate failed on a machine whose build differed). At 200, 400 and 1000 repeated
    # builds gave the exact ranking (bench/ measures the query cost at scale).
    hnsw_ef_search: int = 400
    # Passages an LLM's context is chosen from (their best sentences within
    # context_tokens): more candidates cost no prompt tokens.
    context_candidates: int = 8
    # An optional cross-encoder (a sentence-transformers directory; none is packaged, so
    # unset = no reranking) that rescores the first reranker_candidates fused passages
    # with the question (rag.rerank). Not measured here: no cross-encoder is available.
    reranker_model: str | None = None
    reranker_candidates: int = 20
    # The extractive backend quotes nothing when its best sentence scores under this
    # (mean of embedding cosine and rarity-weighted word coverage, rag.context). Cosines
    # differ between embedders, so unset it means the value measured for the configured
    # one (EXTRACTIVE_MIN_SCORES); set it again after measuring another embedder.
    extractive_min_score: float | None = field(default=None, metadata={"type": float})

    # Generation.
    llm_backend: str = "auto"
    llm_model: str | None = None  # GGUF path for llamacpp, model name for openai
    openai_base_url: str = "http://127.0.0.1:8080/v1"
    openai_api_key: str | None = None
    # Budget for the passages in the prompt, after compression to their best sentences:
    # prompt processing runs ~85 tokens/s on 2 cores, so this sets time to first token.
    context_tokens: int = 256
    max_answer_tokens: int = 256
    temperature: float = 0.0
    # After verification, an LLM backend is asked whether the cited evidence answers the
    # question (rag.grounding.relevance); "no" means abstaining. One short call (~2-3 s
    # on 2 cores). Off: an answer is whatever verification keeps.
    relevance_check: bool = True
    request_timeout: float = 120.0
    # Local model threads. 0: chosen before every generation for the cores other processes
    # leave free (rag.llm.cores, rag.llm.llamacpp.threads_now); n: always n.
    llm_threads: int = 0
    # Memory for the local model's evaluated system prompts (rag.llm.prompt_states): a
    # prompt whose system prompt was evaluated before restores it instead of evaluating
    # it again; replies are the same either way. ~28 KB a token for the packaged model:
    # an answer's three system prompts take ~20 MB. 0 evaluates them every time.
    llm_state_cache_mb: int = 64
    # Local model: the fixed parts of a structured reply ('{"claims":', '"source": ' ...)
    # are written instead of generated token by token (rag.llm.scaffolded). 0 generates
    # them, for comparison (bench --unscaffolded).
    llm_scaffold: bool = True
    # Local model, temperature 0: the grammar judges the most likely token first and the
    # whole vocabulary only when it refuses it (rag.llm.greedy_grammar). Same replies; 0
    # judges every token at every step, for comparison (bench --grammar-every-token).
    llm_greedy_first: bool = True

    def __post_init__(self) -> None:
        if self.llm_backend not in BACKENDS:
            raise ConfigError(
                f"Unknown LLM backend {self.llm_backend!r}: set RAG_LLM_BACKEND to one of "
                f"{', '.join(BACKENDS)}."
            )
        if self.top_k < 1:
            raise ConfigError("RAG_TOP_K must be at least 1.")
        if self.hnsw_ef_search < 1:
            raise ConfigError("RAG_HNSW_EF_SEARCH must be at least 1.")
        if self.chunk_tokens < 32:
            raise ConfigError("RAG_CHUNK_TOKENS must be at least 32.")
        if len(self.collection) < 3:
            raise ConfigError("RAG_COLLECTION must be at least 3 characters long.")
        if self.llm_state_cache_mb < 0:
            raise ConfigError("RAG_LLM_STATE_CACHE_MB must be 0 (off) or more megabytes.")
        if self.reranker_candidates < 1:
            raise ConfigError("RAG_RERANKER_CANDIDATES must be at least 1.")
        if self.ui_concurrency < 1:
            raise ConfigError("RAG_UI_CONCURRENCY must be at least 1.")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``RAG_*`` variables, then keyword ``overrides``.

        Raises:
            ConfigError: a variable has a value of the wrong type.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"RAG_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(f.name, raw, f.metadata.get("type", f.default))
        if "openai_api_key" not in values and env.get("OPENAI_API_KEY"):
            values["openai_api_key"] = env["OPENAI_API_KEY"]
        values.update(overrides)
        return cls(**values)

    @property
    def min_score(self) -> float:
        """``extractive_min_score``, or the value measured for ``embedding_model``."""
        if self.extractive_min_score is not None:
            return self.extractive_min_score
        from rag.embeddings import MINILM_MODEL, canonical_model

        fallback = EXTRACTIVE_MIN_SCORES[MINILM_MODEL]
        return EXTRACTIVE_MIN_SCORES.get(canonical_model(self.embedding_model), fallback)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def __repr__(self) -> str:  # never print the API key
        shown = {f.name: getattr(self, f.name) for f in fields(self)}
        if shown["openai_api_key"]:
            shown["openai_api_key"] = "***"
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    # Reliability limits (issue #15). Kept at the end of the class so merges stay simple.
    # A question longer than this many cl100k tokens is refused (rag.questions): the
    # embedder reads ~256 word pieces and the prompt budget is small.
    max_question_tokens: int = 256
    # Files larger than this are skipped at ingest with the reason (rag.ingest.guard).
    max_file_bytes: int = 50_000_000
    # Seconds a writer (rag ingest, an upload) waits for another process's write to the
    # same local index before giving up with a message naming that process.
    index_lock_timeout: float = 600.0
    # Chat answers the UI runs at once (more wait in Gradio's queue, which says so); with
    # the local model they take turns at it (rag.llm.queue), the waiting ones saying so.
    ui_concurrency: int = 4
    # Server mode (chroma_url set): where this machine caches each collection's BM25
    # terms (rag.index.terms); unset: $XDG_CACHE_HOME/rag/lexical or ~/.cache/rag/lexical.
    # A local index keeps them in its data folder instead.
    lexical_cache_dir: Path | None = field(default=None, metadata={"type": Path})
    # Files are ingested in batches of about this many chunks: one embedding call, one
    # Chroma upsert, one manifest write per batch (rag.sync; 1 = file by file).
    ingest_batch_chunks: int = 256


def _parse(name: str, raw: str, default: Any) -> Any:
    var = f"RAG_{name.upper()}"
    try:
        if default is float:  # an optional number, None by default
            return float(raw)
        if isinstance(default, bool):
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, Path):
            return Path(raw).expanduser()
    except ValueError:
        kind = default.__name__ if isinstance(default, type) else type(default).__name__
        raise ConfigError(f"{var}={raw!r} is not a valid {kind}: fix or unset it.") from None
    return raw
