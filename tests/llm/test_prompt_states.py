"""Prompts evaluated as [system part] then [the rest] (rag.llm.prompt_states), with the
real local model: what the model computes for a prompt does not depend on the calls before
it, and a kept system part is restored instead of evaluated again."""

from __future__ import annotations

import numpy as np
import pytest

from rag.config import Settings
from rag.llm.base import Request
from rag.llm.llamacpp import LlamaCppBackend

pytestmark = pytest.mark.llm

ANSWERING = (
    "You answer questions about the notes the user gives, in one short sentence. Use only "
    "what the notes say; never use your own knowledge."
)
CHECKING = "You say whether a sentence is about a bridge. Reply yes or no."
# Long enough that two questions about them share hundreds of prompt tokens.
NOTES = " ".join(
    f"Note {i}: the bridge at site {i} was repaired in {1900 + i} by crew {i * 7}."
    for i in range(40)
)


def ask(system: str, user: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


QUESTION = ask(ANSWERING, f"{NOTES}\nQuestion: who repaired the bridge at site 3?")
# Same system prompt and notes: llama.cpp's own reuse would resume after the notes.
NEIGHBOUR = ask(ANSWERING, f"{NOTES}\nQuestion: when was site 9 repaired?")
OTHER = ask(CHECKING, "The mill burned.")


@pytest.fixture(scope="module")
def backend():
    backend = LlamaCppBackend.from_settings(Settings(llm_backend="llamacpp"))
    llm = backend.load()
    kept = llm.states_bytes  # the process's setting, whichever test loaded the model first
    llm.states_bytes = 64 * 1024 * 1024
    yield backend
    llm.states_bytes = kept


def first_logits(backend, messages) -> np.ndarray:
    """The model's scores for the first reply token to ``messages``, through the backend."""
    "".join(backend.stream(Request(question="q", messages=messages, max_tokens=1)))
    llm = backend.load()
    return np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).copy()


def test_the_model_computes_the_same_for_a_prompt_whatever_came_before(backend):
    llm = backend.load()
    llm.forget()
    llm.reset()
    alone = first_logits(backend, QUESTION)
    first_logits(backend, NEIGHBOUR)
    after_neighbour = first_logits(backend, QUESTION)
    first_logits(backend, OTHER)
    after_other = first_logits(backend, QUESTION)
    # Resuming after the shared notes (llama.cpp's default) moved these by up to 0.4.
    assert np.array_equal(alone, after_neighbour)
    assert np.array_equal(alone, after_other)


def test_a_system_part_is_kept_restored_or_evaluated_once(backend):
    llm = backend.load()
    llm.forget()
    before = dict(llm.starts)
    for messages in (QUESTION, NEIGHBOUR, OTHER, QUESTION, OTHER):
        "".join(backend.stream(Request(question="q", messages=messages, max_tokens=1)))
    starts = {k: llm.starts[k] - before.get(k, 0) for k in ("evaluated", "kept", "restored")}
    assert starts == {"evaluated": 2, "kept": 1, "restored": 2}


def test_without_kept_states_a_system_part_is_evaluated_again(backend):
    llm = backend.load()
    llm.states_bytes = 0
    llm.forget()
    try:
        before = llm.starts["evaluated"]
        for messages in (QUESTION, OTHER, QUESTION):
            "".join(backend.stream(Request(question="q", messages=messages, max_tokens=1)))
        assert llm.starts["evaluated"] - before == 3
        assert not llm._kept
    finally:
        llm.states_bytes = 64 * 1024 * 1024


def test_the_system_part_ends_where_the_user_message_starts(backend):
    llm = backend.load()
    part = llm.system_part(QUESTION)
    text = llm.detokenize(list(part), special=True).decode()
    assert text.startswith("<|im_start|>system\n" + ANSWERING)
    assert text.endswith("user\n") and "Note 0" not in text
    assert llm.system_part([{"role": "user", "content": "No system prompt."}]) == ()


def test_a_saved_state_keeps_one_row_of_logits(backend):
    llm = backend.load()
    "".join(backend.stream(Request(question="q", messages=OTHER, max_tokens=2)))
    state = llm.save_state()
    assert state.scores.shape == (1, llm.n_vocab())
    assert llm.scores.shape[0] > 1  # the model's own logits buffer is whole again


def test_kept_states_are_bounded_by_their_megabytes(backend):
    llm = backend.load()
    llm.forget()
    llm.states_bytes = 1  # smaller than any state: none is kept
    try:
        "".join(backend.stream(Request(question="q", messages=OTHER, max_tokens=1)))
        assert not llm._kept
    finally:
        llm.states_bytes = 64 * 1024 * 1024
    assert Settings.from_env({"RAG_LLM_STATE_CACHE_MB": "64"}).llm_state_cache_mb == 64
