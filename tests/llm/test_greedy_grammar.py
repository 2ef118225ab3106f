"""The greedy choice under a grammar, judged on the best token first
(rag.llm.greedy_grammar), with the real local model: the same replies as llama-cpp-python's
sampler chain, most steps without judging the whole vocabulary."""

from __future__ import annotations

import json

import pytest

from rag.config import Settings
from rag.grounding import claims
from rag.llm import scaffolded
from rag.llm.base import Request
from rag.llm.greedy_grammar import GreedyGrammar
from rag.llm.llamacpp import LlamaCppBackend, control_tokens
from rag.prompt import build_claims_messages
from rag.types import Passage

pytestmark = pytest.mark.llm

PASSAGES = [
    Passage("mill", "mill.txt", "The Ostra mill was rebuilt in 1887 after the flood of 1885, "
            "and it ground oats and barley until 1952.", 1.0, title="Ostra mill", locator="§1"),
    Passage("bridge", "bridge.txt", "The stone bridge below the mill has three arches.", 0.5,
            title="Bridge", locator="§1"),
]  # fmt: skip
QUESTION = "What did the Ostra mill grind, and until when?"


@pytest.fixture(scope="module")
def llm():
    backend = LlamaCppBackend.from_settings(Settings(llm_backend="llamacpp"))
    model = backend.load()
    return backend, model


def claims_request() -> Request:
    return Request(
        question=QUESTION,
        passages=PASSAGES,
        messages=build_claims_messages(QUESTION, PASSAGES, lang="en"),
        max_tokens=80,
        schema=claims.schema(len(PASSAGES)),
        scaffold=claims.scaffold(len(PASSAGES)),
    )


def reply(llm, *, greedy_first: bool) -> str:
    backend, model = llm
    request = claims_request()
    prompt = model.start_prompt(backend.messages(request, control_tokens(model)))
    return "".join(scaffolded.stream(model, prompt, request, greedy_first=greedy_first))


def test_the_reply_is_the_one_the_sampler_chain_gives(llm):
    chain = reply(llm, greedy_first=False)
    first = reply(llm, greedy_first=True)
    assert first == chain
    parsed = claims.parse(first)
    assert parsed and parsed[0].source == 1


def test_most_steps_judge_one_token_and_a_refused_favourite_is_replaced(llm):
    """A grammar that allows only "no" after a prompt the model would answer "yes" to: the
    model's favourite is refused and the whole vocabulary is judged; then the grammar's one
    way on is the favourite too and costs one judgement."""
    from llama_cpp.llama_grammar import LlamaGrammar

    _, model = llm
    prompt = model.tokenize(
        b'<|im_start|>user\nIs water wet? Reply in JSON as {"answer": "yes"} or '
        b'{"answer": "no"}.<|im_end|>\n<|im_start|>assistant\n{"answer": "',
        add_bos=False,
        special=True,
    )
    schema = {"type": "object", "properties": {"answer": {"enum": ["no"]}}, "required": ["answer"]}
    grammar = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
    sampler = GreedyGrammar(model, grammar)
    for token in model.tokenize(b'{"answer": "', add_bos=False, special=False):
        sampler.accept(token)
    model.reset()
    model.eval(prompt)
    free_choice = model.detokenize([int(model.scores[model.n_tokens - 1].argmax())])
    chosen = sampler.sample(model._ctx)
    assert model.detokenize([chosen]).lower().startswith(b"n")
    if not free_choice.lower().startswith(b"n"):
        assert sampler.full_passes == 1
    model.eval([chosen])
    sampler.sample(model._ctx)  # '"' or '"}': whatever it is, the grammar allows the favourite
    assert sampler.steps == 2 and sampler.full_passes <= 1
    sampler.close()
