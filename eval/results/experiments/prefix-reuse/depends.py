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

from rag.answer import _context
from rag.eval.datasets import load_dataset
from rag.generate import Generation
from rag.retrieve import retrieve

HERE = Path(__file__).parent


def questions(n):
    """The first ``n`` English dev questions without history."""
    return [it for it in load_dataset(Path("eval/dev.jsonl")) if it.lang == "en" and not it.history][:n]


def reply(it, settings, backend):
    """The generation reply to ``it``'s answer prompt, built as the read path builds it."""
    ps = retrieve(it.question, settings, k=settings.context_candidates, lang="en")
    ctx = _context([(it.question, "en")], ps, settings, backend)
    g = Generation(it.question, ctx, backend, settings, lang="en")
    for _ in g.stream():
        pass
    return g.text


def main():
    from rag.config import Settings
    from rag.llm.base import Request, get_backend
    from rag.prompt import build_translate_messages

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 12
    s = Settings.from_env(llm_backend="llamacpp")
    backend = get_backend(s)
    qs = questions(n + 1)
    rows = []
    for prev, it in zip(qs, qs[1:]):
        backend.complete(Request(question="x", messages=build_translate_messages("Bonjour."), max_tokens=8))
        a = reply(it, s, backend)  # after another system prompt: whole prompt evaluated
        reply(prev, s, backend)  # another question's answer prompt: shares the system prompt
        b = reply(it, s, backend)  # system prompt reused
        rows.append({"id": it.id, "same": a == b, "whole": a, "reused": b})
        print(it.id, a == b, flush=True)
    print(sum(r["same"] for r in rows), "of", len(rows), "identical")
    (HERE / "depends.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
