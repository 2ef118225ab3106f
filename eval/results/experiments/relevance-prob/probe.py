"""How sure is the relevance check, and does its certainty separate right answers from wrong?

Runs ``rag eval`` (local model, replayed replies) with the relevance check *recorded but
not obeyed*: every answer that reaches the check is judged as if the check had said yes,
and for each check the model's probability of "yes" against "no" is computed from the
logits at the point where the reply chooses between them (the same prompt and written
scaffold ``{"answers": "`` as the real call, so the same logits as its greedy choice).

    PYTHONPATH=. python eval/results/experiments/relevance-prob/probe.py \
        eval/manuals/dev.jsonl OUT.json [--paraphrase-every 4]

writes OUT.json (the eval result) and OUT.json.probs.json ({question: [p_yes, verdict]}).
Dev sets only: a threshold read here is chosen on dev.
"""

import json
import math
import sys

import rag.grounding.relevance as relevance
from rag.cli import main
from rag.llm.llamacpp import control_tokens

PROBS: dict[str, list] = {}
_original = relevance.relevance_check


def _p_yes(question, quotes, backend) -> float:
    inner = getattr(backend, "inner", backend)
    llm = inner.load()
    messages = relevance.build_relevance_messages(question, quotes)
    request = relevance.Request(question=question, messages=messages, max_tokens=12)
    prompt = list(llm.start_prompt(inner.messages(request, control_tokens(llm))))
    prompt += llm.tokenize(b'{"answers": "', add_bos=False, special=False)
    kept = 0
    for a, b in zip(llm._input_ids[: llm.n_tokens], prompt, strict=False):
        if a != b:
            break
        kept += 1
    kept = min(kept, len(prompt) - 1)
    llm._ctx.kv_cache_seq_rm(-1, kept, -1)
    llm.n_tokens = kept
    llm.eval(prompt[kept:])
    import numpy as np

    # Without logits_all llama-cpp-python no longer copies them into llm.scores: read the
    # context's, those of the batch's last token.
    logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),))
    yes = llm.tokenize(b"yes", add_bos=False, special=False)[0]
    no = llm.tokenize(b"no", add_bos=False, special=False)[0]
    a, b = float(logits[yes]), float(logits[no])
    return 1.0 / (1.0 + math.exp(b - a))


def _recorded(question, quotes, backend):
    check = _original(question, quotes, backend)
    PROBS[question] = [_p_yes(question, quotes, backend), check.answers]
    return relevance.Relevance(answers=True, reply=check.reply, ms=check.ms)


relevance.relevance_check = _recorded

if __name__ == "__main__":
    dataset, out, *rest = sys.argv[1:]
    code = main(
        [
            "eval",
            "--dataset",
            dataset,
            "--backend",
            "llamacpp",
            "--llm-cache",
            ".cache/llm",
            "--json",
            out,
            "-q",
            *rest,
        ]
    )
    with open(out + ".probs.json", "w", encoding="utf-8") as f:
        json.dump(PROBS, f, ensure_ascii=False, indent=1)
    sys.exit(code)
