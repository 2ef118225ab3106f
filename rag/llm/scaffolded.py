"""Structured replies whose fixed parts are written, not generated, on the local model.

A JSON schema fixes much of a reply: every claims reply opens with ``{"claims":``, an item
that has opened goes on with ``source": ``, a source number is followed by
``, "text": "``. Generated under the schema's grammar, each of those tokens still costs
one step of the model (~0.15-0.2 s on 2 cores): a one-claim reply spends 13 steps before
its first word, a relevance verdict 4 before its "yes". Here the text that
``Request.scaffold`` names is appended to the reply instead, accepted by the grammar, and
evaluated together with the token the model chose before it, in one batch:

    for piece in stream(llm, prompt_tokens, request):   # '{"claims":', ' [{"', 'source": ', ...
        print(piece, end="")

The model still chooses every token that is a choice (a claim or none, the source, the
words), greedily under the same grammar and sampler settings as llama-cpp-python's chat
completion; only where the schema leaves one way to go is that way taken without asking.
The reply ends where the JSON document is complete (no step for the end-of-text token).
Batch evaluation rounds differently from token-by-token evaluation, so a reply may differ
from the unscaffolded one the way any change of rounding makes it differ.
Only this module, ``rag.llm.greedy_grammar``, ``rag.llm.prompt_states`` and
``rag.llm.llamacpp`` import ``llama_cpp``.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator, Sequence
from typing import Any

from rag.llm.base import Request
from rag.llm.greedy_grammar import GreedyGrammar

__all__ = ["stream"]

# llama-cpp-python's chat-completion defaults, so a sampled reply is drawn the same way.
_SAMPLER = {"top_k": 40, "top_p": 0.95, "min_p": 0.05, "repeat_penalty": 1.0}


def _complete(reply: str) -> bool:
    """Whether ``reply`` is a whole JSON document (the grammar allows nothing after it
    but a space)."""
    try:
        json.loads(reply)
    except ValueError:
        return False
    return True


def stream(
    llm: Any, prompt: Sequence[int], request: Request, *, greedy_first: bool = True
) -> Iterator[str]:
    """Yield the reply to the rendered ``prompt`` (its tokens) under ``request.schema``,
    writing what ``request.scaffold`` says comes next.

    ``llm`` is a ``llama_cpp.Llama`` whose evaluated tokens may be a prefix of ``prompt``
    (``ResumingLlama.start_prompt`` leaves the system part); anything else is dropped.
    At temperature 0 the grammar judges the best token first (``rag.llm.greedy_grammar``;
    ``greedy_first=False``: every token, every step, as llama-cpp-python's chain does).

    Raises:
        ValueError: the prompt and ``request.max_tokens`` do not fit the context.
    """
    import llama_cpp
    from llama_cpp.llama_grammar import LlamaGrammar

    assert request.schema is not None and request.scaffold is not None
    prompt = list(prompt)
    kept = 0
    for a, b in zip(llm._input_ids[: llm.n_tokens], prompt, strict=False):
        if a != b:
            break
        kept += 1
    kept = min(kept, len(prompt) - 1)  # the last prompt token gives the first logits
    if kept < llm.n_tokens:
        llm._ctx.kv_cache_seq_rm(-1, kept, -1)
        llm.n_tokens = kept
    if len(prompt) + request.max_tokens > llm.n_ctx():
        raise ValueError(
            f"Requested tokens ({len(prompt)} + {request.max_tokens}) exceed context window "
            f"of {llm.n_ctx()}"
        )
    grammar = LlamaGrammar.from_json_schema(json.dumps(request.schema), verbose=False)
    if request.temperature == 0.0 and greedy_first:
        sampler: Any = GreedyGrammar(llm, grammar)
    else:
        sampler = llm._init_sampler(temp=request.temperature, grammar=grammar, **_SAMPLER)
    vocab = llm._model.vocab
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    reply = ""

    def written() -> list[int]:
        """The scaffold's next text as tokens, accepted by the grammar; added to reply."""
        nonlocal reply
        text = request.scaffold(reply) if not decoder.getstate()[0] else ""  # type: ignore[misc]
        if not text:
            return []
        tokens = llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        for token in tokens:
            sampler.accept(token)
        reply += text
        return list(tokens)

    first = written()
    if first:
        yield reply
    pending = prompt[kept:] + first
    budget = request.max_tokens - len(first)  # written tokens count, as generated ones would
    while budget > 0 and llm.n_tokens + len(pending) < llm.n_ctx():
        llm.eval(pending)
        token = sampler.sample(llm._ctx, -1)
        if llama_cpp.llama_vocab_is_eog(vocab, token):
            return
        piece = decoder.decode(llm.detokenize([token]))
        reply += piece
        start = len(reply)
        forced = [] if _complete(reply) else written()
        if piece or forced:
            yield piece + reply[start:]
        if _complete(reply):
            return
        pending = [token, *forced]
        budget -= len(pending)
