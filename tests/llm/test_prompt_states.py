"""Kept prompt states (rag.llm.prompt_states) with the real local model: a call whose
system prompt was evaluated a few calls ago resumes there, and still answers."""

from __future__ import annotations

import pytest

from rag.config import Settings
from rag.llm.base import Request
from rag.llm.llamacpp import LlamaCppBackend
from rag.llm.prompt_states import prompt_states

pytestmark = pytest.mark.llm

ANSWERING = (
    "You answer questions about the notes the user gives, in one short sentence. Use only "
    "what the notes say; never use your own knowledge. If the notes do not say, reply that "
    "they do not say. Keep every name, number and date exactly as the notes write it, and "
    "write nothing before or after the answer: no greeting, no comment, no apology."
)
CHECKING = "You say whether a sentence is about a bridge. Reply yes or no."
NOTES = [
    "The Lorvik footbridge was rebuilt in 2019 by the carpenter Ines Marr.",
    "The Osterby mill burned in 1911 and was rebuilt by the miller Jon Tal in 1913.",
]


@pytest.fixture(scope="module")
def llm():
    return LlamaCppBackend.from_settings(Settings(llm_backend="llamacpp")).load()


def call(llm, system: str, user: str) -> tuple[str, int]:
    """The reply and how many prompt tokens llama.cpp evaluated for it."""
    evaluated: list[int] = []
    real_eval = llm.eval

    def counting(tokens):
        evaluated.append(len(tokens))
        return real_eval(tokens)

    llm.eval = counting
    try:
        out = llm.create_chat_completion(
            messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
            max_tokens=24,
            temperature=0,
        )
    finally:
        del llm.eval  # the instance attribute; the class method is back
    return out["choices"][0]["message"]["content"], evaluated[0] if evaluated else 0


def sequence(llm) -> tuple[str, int]:
    """Answer, check, answer again: the second answer's reply and evaluated tokens."""
    call(llm, ANSWERING, f"Notes: {NOTES[0]}\nQuestion: Who rebuilt the footbridge?")
    call(llm, CHECKING, "The mill burned.")
    return call(llm, ANSWERING, f"Notes: {NOTES[1]}\nQuestion: When did the mill burn?")


def test_a_call_resumes_from_the_state_that_shares_its_system_prompt(llm):
    system_tokens = len(llm.tokenize(ANSWERING.encode()))
    before = llm.cache  # the process's setting (off by default)
    try:
        llm.set_cache(None)
        reply_without, evaluated_without = sequence(llm)
        llm.set_cache(prompt_states(128))
        reply_with, evaluated_with = sequence(llm)
    finally:
        llm.set_cache(before)
    # Without kept states the checking call replaced the evaluated system prompt.
    assert evaluated_without - evaluated_with >= system_tokens - 5, (
        evaluated_without,
        evaluated_with,
        system_tokens,
    )
    # The resumed part is evaluated in another batch: rounding may differ, the fact not.
    assert "1911" in reply_with and "1911" in reply_without, (reply_with, reply_without)


def test_a_saved_state_keeps_one_row_of_logits(llm):
    llm.create_chat_completion(
        messages=[{"role": "user", "content": "Say yes."}], max_tokens=2, temperature=0
    )
    state = llm.save_state()
    assert state.scores.shape == (1, llm.n_vocab())
    assert llm.scores.shape[0] > 1  # the model's own logits buffer is whole again
    llm.load_state(state)
    request = Request(
        question="q",
        messages=[{"role": "user", "content": f"{NOTES[0]} Who rebuilt the footbridge?"}],
        max_tokens=40,
    )
    backend = LlamaCppBackend.from_settings(Settings(llm_backend="llamacpp"))
    assert "Marr" in "".join(backend.stream(request))


def test_states_are_off_unless_asked_for():
    assert Settings().llm_state_cache_mb == 0
    assert prompt_states(0) is None
    assert prompt_states(1).capacity_bytes == 1024 * 1024
    assert Settings.from_env({"RAG_LLM_STATE_CACHE_MB": "64"}).llm_state_cache_mb == 64
