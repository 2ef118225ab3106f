"""The ``llamacpp`` backend: a local GGUF model through llama-cpp-python, fully offline.

With ``rag.llm.prompt_states``, ``scaffolded`` and ``greedy_grammar``, the only modules that
import ``llama_cpp`` (lazily, on first generation). The model is loaded once per process and
shared: loading takes seconds and ~2 GB of RAM. llama.cpp contexts are not thread-safe, so
generations take turns in one queue per process (``rag.llm.queue``, first come first
served); a generation that has to wait reports the wait to the answer it belongs to
(``Backend.reporting_waits``), which the UI shows. Every prompt is evaluated as its system
part, alone, then the rest, so a reply does not depend on the calls before it; the system
part is kept from the last call or restored from a kept state when it can be
(``rag.llm.prompt_states``). A structured reply's fixed parts are written rather than
generated (``rag.llm.scaffolded``).

    backend = LlamaCppBackend.from_settings(Settings.from_env())
    for chunk in backend.stream(Request(question, passages, messages=build_messages(...))):
        print(chunk, end="")
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rag.errors import BackendError
from rag.llm import scaffolded
from rag.llm.base import Backend, Request
from rag.llm.cores import CoreWatch
from rag.llm.local_model import INSTALL_HINT, local_model_available, model_path
from rag.llm.queue import ModelQueue
from rag.prompt import TOKEN_MARGIN

if TYPE_CHECKING:
    from rag.config import Settings

__all__ = [
    "MODEL_QUEUE",
    "LlamaCppBackend",
    "context_size",
    "control_tokens",
    "default_threads",
    "local_model_available",
]

log = logging.getLogger(__name__)

#: Room for the system prompt, the question, the chat template and the history.
_PROMPT_OVERHEAD = 600
_CTX_STEP = 512

_models: dict[str, Any] = {}  # resolved path -> llama_cpp.Llama, one per process
#: id(Llama) -> (that Llama, its control tokens); the Llama is kept so the id stays its own
_controls: dict[int, tuple[Any, re.Pattern[str] | None]] = {}
_load_lock = threading.Lock()
#: Every local generation of this process takes its turn here, whatever the model file:
#: two at once would share the same cores.
MODEL_QUEUE = ModelQueue()
#: What other processes have used since this process's last generation (threads_now).
CORES = CoreWatch()


def context_size(settings: Settings) -> int:
    """``n_ctx`` for the prompt budget: sources + answer + overhead, rounded up to 512.

    With the defaults (256 source tokens, 256 answer tokens): 1536.
    """
    need = math.ceil(settings.context_tokens * TOKEN_MARGIN)  # budgets are cl100k tokens
    need += settings.max_answer_tokens + _PROMPT_OVERHEAD
    return _CTX_STEP * math.ceil(need / _CTX_STEP)


def default_threads(settings: Settings) -> tuple[int, int]:
    """``(n_threads, n_threads_batch)`` the model is loaded with: ``RAG_LLM_THREADS`` for
    both, else half the cores generating and all of them processing prompts. Unless
    ``RAG_LLM_THREADS`` is set, ``threads_now`` changes them before every generation."""
    cores = os.cpu_count() or 1
    if settings.llm_threads > 0:
        return settings.llm_threads, settings.llm_threads
    return max(1, cores // 2), cores


def threads_now(others: float | None, cores: int | None = None) -> tuple[int, int]:
    """``(n_threads, n_threads_batch)`` for a generation when other processes keep
    ``others`` cores busy (``rag.llm.cores``; None: unknown, the load-time default).

    The free cores process the prompt; as many generate, up to half the logical cores
    (hyperthreads share a core's memory bandwidth, which decoding is bound by), and both
    cores of a 2-core machine. Measured on 2 cores (``bench/README.md``, "Generating
    threads"): idle, 2 generating threads are ~1.7x as fast as 1; with the other core busy,
    1 is ~1.8x as fast as 2.

        >>> threads_now(0.02, cores=2), threads_now(0.9, cores=2), threads_now(0.0, cores=8)
        ((2, 2), (1, 1), (4, 8))
    """
    cores = cores or os.cpu_count() or 1
    if others is None:
        return max(1, cores // 2), cores
    free = max(1, min(cores, round(cores - others)))
    return min(free, max(cores // 2, min(cores, 2))), free


def _load(path: Path, n_ctx: int, n_threads: int, n_threads_batch: int, states_mb: int = 0) -> Any:
    key = str(path.resolve())
    with _load_lock:
        llm = _models.get(key)
        if llm is not None and llm.n_ctx() >= n_ctx:
            return llm
        try:
            from rag.llm.prompt_states import resuming_llama

            llama_class = resuming_llama()
        except ImportError:
            raise BackendError(f"llama-cpp-python is not installed: {INSTALL_HINT}.") from None
        started = time.perf_counter()
        try:
            llm = llama_class(
                model_path=key,
                n_ctx=n_ctx,
                n_threads=n_threads,
                n_threads_batch=n_threads_batch,
                verbose=False,
                states_mb=states_mb,
            )
        except Exception as exc:  # llama_cpp raises ValueError/RuntimeError on bad files
            raise BackendError(
                f"Cannot load the GGUF model {path} ({exc}): check that it is a complete GGUF "
                "file, or unset RAG_LLM_MODEL to use the packaged model."
            ) from exc
        log.info(
            "Loaded %s (n_ctx=%d, threads=%d/%d) in %.1f s",
            path.name,
            n_ctx,
            n_threads,
            n_threads_batch,
            time.perf_counter() - started,
        )
        _models[key] = llm
        return llm


def control_tokens(llm: Any) -> re.Pattern[str] | None:
    """The texts of the model's control tokens (``<|im_start|>``, ``<tool_call>``...), one
    pattern: llama.cpp tokenizes the rendered chat template with special tokens parsed, so
    such a text inside a passage would become the token itself (``Backend.messages``
    defuses it). Read once per loaded model from its vocabulary (~0.1 s for 150k tokens);
    None when this llama_cpp cannot tell."""
    known = _controls.get(id(llm))
    if known is not None and known[0] is llm:
        return known[1]
    texts: set[str] = set()
    try:
        import llama_cpp

        vocab = llama_cpp.llama_model_get_vocab(llm.model)
        special = llama_cpp.LLAMA_TOKEN_ATTR_CONTROL | llama_cpp.LLAMA_TOKEN_ATTR_USER_DEFINED
        for token in range(llm.n_vocab()):
            if llama_cpp.llama_vocab_get_attr(vocab, token) & special:
                text = llm.detokenize([token], special=True).decode("utf-8", "replace")
                # Only tag-like tokens: some vocabularies also hold runs of spaces or
                # newlines as user-defined tokens, which are text like any other.
                if len(text) > 2 and not any(c.isspace() for c in text):
                    texts.add(text)
    except (AttributeError, ImportError, TypeError, ValueError) as exc:
        log.debug("Cannot read the model's control tokens: %s", exc)
    pattern = (
        re.compile("|".join(re.escape(t) for t in sorted(texts, key=len, reverse=True)))
        if texts
        else None
    )
    _controls[id(llm)] = (llm, pattern)
    return pattern


class LlamaCppBackend(Backend):
    """Local llama.cpp chat model. Build with ``from_settings``; the model loads lazily."""

    name: ClassVar[str] = "llamacpp"
    can_stream: ClassVar[bool] = True
    queued: ClassVar[bool] = True

    def __init__(
        self,
        path: Path,
        *,
        n_ctx: int = 2560,
        n_threads: int | None = None,
        n_threads_batch: int | None = None,
        states_mb: int = 0,
        scaffold: bool = True,
        greedy_first: bool = True,
        adaptive_threads: bool = False,
    ) -> None:
        self.path = Path(path)
        self.n_ctx = n_ctx
        self.n_threads = n_threads or 1
        self.n_threads_batch = n_threads_batch or os.cpu_count() or 1
        self.states_mb = states_mb  # rag.llm.prompt_states; the first load in a process sets it
        self.scaffold = scaffold  # write Request.scaffold's text (rag.llm.scaffolded)
        self.greedy_first = greedy_first  # rag.llm.greedy_grammar
        self.adaptive_threads = adaptive_threads  # threads_now before every generation

    @classmethod
    def from_settings(cls, settings: Settings) -> LlamaCppBackend:
        """Resolve (and on first use assemble + verify) the model file.

        Raises:
            BackendError: the model is not installed, missing or corrupt.
        """
        n_threads, n_threads_batch = default_threads(settings)
        return cls(
            model_path(settings),
            n_ctx=context_size(settings),
            n_threads=n_threads,
            n_threads_batch=n_threads_batch,
            states_mb=settings.llm_state_cache_mb,
            scaffold=settings.llm_scaffold,
            greedy_first=settings.llm_greedy_first,
            adaptive_threads=settings.llm_threads <= 0,
        )

    def load(self) -> Any:
        """The shared ``llama_cpp.Llama`` for this model (loads it on first call)."""
        return _load(self.path, self.n_ctx, self.n_threads, self.n_threads_batch, self.states_mb)

    def threads(self) -> tuple[int, int]:
        """``(n_threads, n_threads_batch)`` for the next generation: ``threads_now`` for
        the cores other processes leave free, or the fixed ``RAG_LLM_THREADS``."""
        if self.adaptive_threads:
            return threads_now(CORES.others())
        return self.n_threads, self.n_threads_batch

    def writes_scaffold(self, request: Request) -> bool:
        """A structured request with a scaffold and no stop strings (which only the chat
        completion below honours), unless ``RAG_LLM_SCAFFOLD=0``."""
        return bool(self.scaffold and request.scaffold and request.schema and not request.stop)

    def stream(self, request: Request) -> Iterator[str]:
        """Yield the reply as llama.cpp generates it.

        Raises:
            BackendError: the prompt does not fit the context, llama.cpp failed, or the
                answer was stopped (``Waits.cancel``) while it waited for its turn.
        """
        llm = self.load()
        messages = self.messages(request, control_tokens(llm))
        # The turn is held for the whole generation; closing the generator early (the
        # consumer stops iterating) gives it back through the with-block.
        with MODEL_QUEUE.turn(self.waits):
            try:
                llm._ctx.set_n_threads(*self.threads())
                prompt = llm.start_prompt(messages)  # the system part alone, then the rest
                if prompt and self.writes_scaffold(request):
                    yield from scaffolded.stream(
                        llm, prompt, request, greedy_first=self.greedy_first
                    )
                    return
                chunks = llm.create_chat_completion(
                    messages=messages,
                    max_tokens=request.max_tokens,
                    temperature=request.temperature,
                    stop=list(request.stop) or None,
                    stream=True,
                    # A JSON schema becomes a llama.cpp grammar: the reply cannot leave it.
                    response_format=(
                        {"type": "json_object", "schema": request.schema}
                        if request.schema
                        else None
                    ),
                )
                for chunk in chunks:
                    delta = chunk["choices"][0].get("delta", {}).get("content")
                    if delta:
                        yield delta
            except ValueError as exc:  # "Requested tokens (...) exceed context window"
                raise BackendError(
                    f"The prompt does not fit the local model's context ({self.n_ctx} tokens): "
                    f"lower RAG_CONTEXT_TOKENS or RAG_TOP_K. ({exc})"
                ) from exc
            except RuntimeError as exc:
                raise BackendError(f"The local model failed while generating: {exc}") from exc
            finally:
                CORES.mark()
