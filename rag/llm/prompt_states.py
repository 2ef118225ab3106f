"""Every prompt evaluated as [its system prompt] then [the rest]: replies that do not depend
on the calls before them, and system prompts evaluated once.

llama.cpp keeps the evaluated tokens of the last call and, by default, reuses whatever
prefix the next prompt shares with them, which can run past the system prompt into the
passages. The reused part was computed in other batches than a fresh evaluation would
use, the floating-point rounding differs, and greedy decoding follows the first
different token: the same question could get another reply after another question (4 of
the first 20 Debian questions did, `eval/results/experiments/prefix-reuse/`).

So before each chat completion ``ResumingLlama.start_prompt`` sets the evaluated tokens
to exactly the system part of the prompt, evaluated alone: kept from the last call when
it had the same system part, else restored from a state kept for it
(``Settings.llm_state_cache_mb``), else evaluated from scratch. The rest of the prompt is
then always evaluated the same way on top of the same values: one prompt, one reply.
The system part is where the model's own chat template (GGUF metadata) renders two
probe conversations with this system prompt identically; a model without such a
template, or with a chat handler of its own, keeps llama.cpp's default reuse.

An answer makes up to three calls with three system prompts (translate, answer, check
relevance), so with kept states each is evaluated once per process. Each state is the
model's KV cache for those tokens (~28 KB a token for the packaged 1.5B model), stored
without its logits: llama-cpp-python's ``save_state`` copies every row of them (``n_batch``
x vocabulary floats, ~300 MB for a 150k-token vocabulary, about a second per call), and
the rest of a prompt is never empty, so the copied logits are never read.
"""

from __future__ import annotations

import functools
from collections import Counter, OrderedDict
from typing import Any

__all__ = ["resuming_llama"]

#: Two user messages that differ from their first character: the chat template renders
#: both conversations alike up to the user's text, and that common part is the system part.
_PROBES = ("0", "1")
_MAX_SYSTEM_PROMPTS = 64  # rendered system parts remembered (an answer uses three)


def _common_prefix(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


@functools.cache
def resuming_llama() -> type:
    """``llama_cpp.Llama`` with ``start_prompt`` and states kept per system prompt."""
    from llama_cpp import Llama
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    class ResumingLlama(Llama):
        def __init__(self, *args: Any, states_mb: int = 0, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.states_bytes = max(0, states_mb) * 1024 * 1024
            self._kept: OrderedDict[tuple[int, ...], Any] = OrderedDict()
            # The system part the evaluated tokens start with, evaluated alone; () when
            # the last call did not start that way.
            self._clean: tuple[int, ...] = ()
            self._systems: OrderedDict[str, tuple[int, ...]] = OrderedDict()
            #: How each prompt started: "kept", "restored", "evaluated" or "whole".
            self.starts: Counter[str] = Counter()
            self._formatter = None
            # The formatter llama-cpp-python builds from the GGUF's chat template.
            name = str(self.chat_format or "")
            key = "tokenizer." + name.removesuffix(".default")  # tokenizer.chat_template[.x]
            template = self.metadata.get(key) if name.startswith("chat_template.") else None
            if self.chat_handler is None and template:
                eos, bos = self.token_eos(), self.token_bos()
                self._formatter = Jinja2ChatFormatter(
                    template=template,
                    eos_token=self._model.token_get_text(eos) if eos != -1 else "",
                    bos_token=self._model.token_get_text(bos) if bos != -1 else "",
                )

        def save_state(self) -> Any:
            # ``_scores`` is ``scores[:n_tokens]``: with one row left, one row is copied.
            full = self.scores
            self.scores = full[-1:]
            try:
                return super().save_state()
            finally:
                self.scores = full

        def _render(self, messages: list[dict[str, Any]]) -> tuple[int, ...]:
            assert self._formatter is not None
            result = self._formatter(messages=messages)  # type: ignore[arg-type]
            # As the chat handler tokenizes it.
            text = result.prompt.encode("utf-8")
            return tuple(self.tokenize(text, add_bos=not result.added_special, special=True))

        def system_part(self, messages: list[dict[str, Any]]) -> tuple[int, ...]:
            """The tokens of ``messages``' prompt up to the first message after the system
            prompt, or () when they cannot be told apart."""
            return self._split(messages)[0]

        def _split(self, messages: list[dict[str, Any]]) -> tuple[tuple[int, ...], tuple[int, ...]]:
            """(system part, whole prompt) as tokens; the whole is () without a template."""
            if self._formatter is None or not messages:
                return (), ()
            whole = self._render(messages)
            if messages[0].get("role") != "system":
                return (), whole
            system = str(messages[0].get("content") or "")
            head = self._systems.get(system)
            if head is None:
                a, b = (self._render([messages[0], {"role": "user", "content": u}])
                        for u in _PROBES)  # fmt: skip
                head = a[: _common_prefix(a, b)]
                self._systems[system] = head
                while len(self._systems) > _MAX_SYSTEM_PROMPTS:
                    self._systems.popitem(last=False)
            part = head[: _common_prefix(head, whole)]
            # The rest must hold at least one token, and the part fit the context.
            return (part if 0 < len(part) < min(len(whole), self.n_ctx()) else ()), whole

        def start_prompt(self, messages: list[dict[str, Any]]) -> tuple[int, ...]:
            """Leave exactly the system part of ``messages`` evaluated, computed alone, and
            return the whole prompt's tokens as the chat handler renders them (() for a
            model without a GGUF chat template). ``starts`` counts how each prompt started:
            "kept", "restored", "evaluated", or "whole" when the prompt has no system part
            (llama.cpp's default reuse then)."""
            part, whole = self._split(messages)
            if not part:
                self._clean = ()
                how = "whole"
            elif self._clean == part and self.n_tokens >= len(part):
                how = "kept"
            elif part in self._kept:
                self.load_state(self._kept[part])
                self._kept.move_to_end(part)
                how = "restored"
            else:
                self.reset()
                self.eval(list(part))
                if self.states_bytes:
                    self._keep(part, self.save_state())
                how = "evaluated"
            if part:
                self._ctx.kv_cache_seq_rm(-1, len(part), -1)
                self.n_tokens = len(part)
                self._clean = part
            self.starts[how] += 1
            return whole

        def forget(self) -> None:
            """Drop the kept states; the next prompt evaluates its system part afresh."""
            self._kept.clear()
            self._clean = ()

        def _keep(self, part: tuple[int, ...], state: Any) -> None:
            self._kept[part] = state
            size = sum(s.llama_state_size for s in self._kept.values())
            while size > self.states_bytes and self._kept:
                size -= self._kept.popitem(last=False)[1].llama_state_size

    return ResumingLlama
