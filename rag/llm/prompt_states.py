"""Evaluated prompts kept in memory: a prompt that starts like an earlier one resumes there.

Prompt processing is the slow part of a local answer on a CPU, and an answer makes up to
three calls with three different system prompts (translate, answer, check relevance).
llama.cpp keeps only the last call's evaluated tokens, so each call used to evaluate its
system prompt again. ``prompt_states`` keeps the model's state after each of the last few
calls (llama-cpp-python's ``LlamaRAMCache``, looked up by longest common token prefix);
the next call restores the state that shares the most tokens with its prompt and
evaluates only the rest. On a synthetic answer/check sequence (2 cores, under load) the
answer call's time to first token fell by about a third.

Off by default (``Settings.llm_state_cache_mb`` 0): the resumed part of a prompt is
evaluated in other batches than a whole prompt would be, and that rounding changed 4 of
the first 20 test questions' replies of the 1.5B model (greedy decoding follows the
first different token). Its effect on answer quality is to be measured on the whole
held-out sets before it is turned on.

``resuming_llama`` builds the ``Llama`` subclass that stores such states without their
logits: llama-cpp-python's ``save_state`` copies every row of them (``n_batch`` x
vocabulary floats, ~300 MB for a 150k-token vocabulary, about a second per call), and a
resumed prompt always evaluates at least its last token again, so the copied logits are
never read. Only this module and ``rag.llm.llamacpp`` import ``llama_cpp``.
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["prompt_states", "resuming_llama"]


@functools.cache
def resuming_llama() -> type:
    """``llama_cpp.Llama`` whose saved states hold one row of logits, not ``n_batch``."""
    from llama_cpp import Llama

    class ResumingLlama(Llama):
        def save_state(self) -> Any:
            # ``_scores`` is ``scores[:n_tokens]``: with one row left, one row is copied.
            # ``load_state`` broadcasts it back; generation then decodes the prompt's
            # last token again (llama-cpp-python does so after any restored state).
            full = self.scores
            self.scores = full[-1:]
            try:
                return super().save_state()
            finally:
                self.scores = full

    return ResumingLlama


def prompt_states(capacity_mb: int) -> Any:
    """A ``LlamaRAMCache`` of at most ``capacity_mb`` megabytes of model states (each
    ~30 KB per evaluated token for a 1.5B model: a few calls' worth at 128 MB), or None
    for 0 (off)."""
    if capacity_mb <= 0:
        return None
    from llama_cpp import LlamaRAMCache

    return LlamaRAMCache(capacity_bytes=capacity_mb * 1024 * 1024)
