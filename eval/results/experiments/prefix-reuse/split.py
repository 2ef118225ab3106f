"""Prototype (not in rag/): every prompt evaluated as [system prompt] then [the rest].

Before each chat completion the model's evaluated tokens are set to exactly the system
prompt's: kept from the last call when it had the same one, else restored from a state kept
per system prompt (``KEEP=1``), else evaluated alone from scratch (``KEEP=0``). The system
prompt's values are then always computed the same way, alone, so a restored state should
hold exactly what a fresh evaluation computes. Runs ``sequence.py``'s loop; compare the
KEEP=0 and KEEP=1 outputs (states off, the library's own cache unused).

    KEEP=1 PYTHONPATH=. python eval/results/experiments/prefix-reuse/split.py eval/debian/test.jsonl 20 OUT.json

The system part is rendered for the packaged Qwen's ChatML template (a prototype); it is
checked to be a token prefix of the whole prompt, and the split is skipped when it is not.
"""
import os
import runpy
import sys

import rag.llm.llamacpp as L

KEEP = os.environ.get("KEEP") == "1"
kept: dict[str, object] = {}
stats = {"split": 0, "skipped": 0, "reused": 0, "restored": 0, "evaluated": 0}
_load = L._load


def _patched_load(*args, **kwargs):
    llm = _load(*args, **kwargs)
    if getattr(llm, "_split_patched", False):
        return llm
    original = llm.create_chat_completion

    def create(messages, **kw):
        system = messages[0]["content"] if messages and messages[0]["role"] == "system" else None
        if system is not None:
            head = f"<|im_start|>system\n{system}<|im_end|>\n"
            rest = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages[1:])
            prefix = llm.tokenize(head.encode(), add_bos=False, special=True)
            whole = llm.tokenize((head + rest + "<|im_start|>assistant\n").encode(), add_bos=False, special=True)
            if whole[: len(prefix)] != prefix:
                stats["skipped"] += 1
            else:
                stats["split"] += 1
                p = len(prefix)
                have = list(llm._input_ids[: llm.n_tokens])
                if llm.n_tokens >= p and have[:p] == prefix:
                    stats["reused"] += 1
                elif KEEP and system in kept:
                    llm.load_state(kept[system])
                    stats["restored"] += 1
                else:
                    llm.reset()
                    llm.eval(prefix)
                    stats["evaluated"] += 1
                    if KEEP:
                        kept[system] = llm.save_state()
                llm._ctx.kv_cache_seq_rm(-1, p, -1)
                llm.n_tokens = p
        return original(messages=messages, **kw)

    llm.create_chat_completion = create
    llm._split_patched = True
    return llm


L._load = _patched_load
here = os.path.dirname(__file__)
sys.argv = [os.path.join(here, "sequence.py"), *sys.argv[1:]]
runpy.run_path(sys.argv[0], run_name="__main__")
print(stats)
