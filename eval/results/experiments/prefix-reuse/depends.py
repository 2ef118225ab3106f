"""Does the local model's reply to one request depend on the call before it?

llama-cpp-python reuses the longest token prefix shared with the previous prompt and
evaluates only the rest, in other batches than a whole prompt. For each question: its
answer prompt (messages as the read path builds them) is sent (a) after an unrelated call
with another system prompt (no reuse: the whole prompt is evaluated) and (b) right after
the answer prompt of another question (the system prompt is reused). Greedy decoding.

    PYTHONPATH=. python eval/results/experiments/prefix-reuse/depends.py N
"""
import json
import sys
from pathlib import Path

from rag.config import Settings
from rag.eval.datasets import load_dataset
from rag.generate import Generation
from rag.llm.base import Request, get_backend
from rag.prompt import build_translate_messages
from rag.retrieve import retrieve
from rag.answer import _context

n = int(sys.argv[1]) if len(sys.argv) > 1 else 12
s = Settings.from_env(llm_backend="llamacpp")
backend = get_backend(s)
qs = [it for it in load_dataset(Path("eval/dev.jsonl")) if it.lang == "en" and not it.history][:n + 1]


def reply(it):
    ps = retrieve(it.question, s, k=s.context_candidates, lang="en")
    ctx = _context([(it.question, "en")], ps, s, backend)
    g = Generation(it.question, ctx, backend, s, lang="en")
    for _ in g.stream():
        pass
    return g.text


rows = []
for prev, it in zip(qs, qs[1:]):
    backend.complete(Request(question="x", messages=build_translate_messages("Bonjour."), max_tokens=8))
    a = reply(it)          # after another system prompt: whole prompt evaluated
    reply(prev)            # another question's answer prompt: shares the system prompt
    b = reply(it)          # system prompt reused
    rows.append({"id": it.id, "same": a == b, "whole": a, "reused": b})
    print(it.id, a == b, flush=True)
print(sum(r["same"] for r in rows), "of", len(rows), "identical")
Path("eval/results/experiments/prefix-reuse/depends.json").write_text(json.dumps(rows, indent=1))
