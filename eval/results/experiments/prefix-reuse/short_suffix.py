"""The same check with short prompts: the question-translation call (a fixed system prompt and
a one-line user message). Each French/Italian dev question's translation request is sent
(a) after a call with another system prompt (whole prompt evaluated) and (b) right after
another question's translation request (the system prompt reused: only the short user
message is evaluated). Greedy decoding.

    PYTHONPATH=. python eval/results/experiments/prefix-reuse/short_suffix.py N
"""
import json
import sys
from pathlib import Path

from rag.config import Settings
from rag.eval.datasets import load_dataset
from rag.llm.base import Request, get_backend
from rag.prompt import build_condense_messages, build_translate_messages
from rag.types import Turn

n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
s = Settings.from_env(llm_backend="llamacpp")
backend = get_backend(s)
qs = [it.question for it in load_dataset(Path("eval/dev.jsonl")) if it.lang != "en"][: n + 1]


def tr(q):
    return backend.complete(Request(question=q, messages=build_translate_messages(q), max_tokens=64))


other = build_condense_messages("And then?", [Turn("user", "Who?"), Turn("assistant", "Ann.")])
rows = []
for prev, q in zip(qs, qs[1:]):
    backend.complete(Request(question="x", messages=other, max_tokens=8))
    a = tr(q)
    tr(prev)
    b = tr(q)
    rows.append({"question": q, "same": a == b, "whole": a, "reused": b})
    print(a == b, "|", a.strip()[:70], "|", b.strip()[:70], flush=True)
print(sum(r["same"] for r in rows), "of", len(rows), "identical")
Path("eval/results/experiments/prefix-reuse/short_suffix.json").write_text(json.dumps(rows, indent=1, ensure_ascii=False))
