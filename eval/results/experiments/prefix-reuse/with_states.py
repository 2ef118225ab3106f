"""The answer prompts of depends.py again with kept prompt states on
(``RAG_LLM_STATE_CACHE_MB=128``): each question's prompt is sent right after another
question's, as in a session, and its reply compared with the whole-prompt reply recorded in
depends.json (states off, another process).

    RAG_LLM_STATE_CACHE_MB=128 PYTHONPATH=. python eval/results/experiments/prefix-reuse/with_states.py
"""
import json
import sys
from pathlib import Path

sys.argv = sys.argv[:1] + ["0"]
base = Path("eval/results/experiments/prefix-reuse")
recorded = {r["id"]: r["whole"] for r in json.loads((base / "depends.json").read_text())}

from rag.config import Settings  # noqa: E402
from rag.eval.datasets import load_dataset  # noqa: E402
from rag.llm.base import get_backend  # noqa: E402

s = Settings.from_env(llm_backend="llamacpp")
assert s.llm_state_cache_mb > 0, "set RAG_LLM_STATE_CACHE_MB"
exec((base / "depends.py").read_text().split("rows = []")[0].split("n = int")[0])  # imports
backend = get_backend(s)
qs = [it for it in load_dataset(Path("eval/dev.jsonl")) if it.lang == "en" and not it.history][:13]


def reply(it):
    from rag.answer import _context
    from rag.generate import Generation
    from rag.retrieve import retrieve

    ps = retrieve(it.question, s, k=s.context_candidates, lang="en")
    ctx = _context([(it.question, "en")], ps, s, backend)
    g = Generation(it.question, ctx, backend, s, lang="en")
    for _ in g.stream():
        pass
    return g.text


rows = []
for prev, it in zip(qs, qs[1:]):
    reply(prev)
    b = reply(it)
    rows.append({"id": it.id, "same": b == recorded[it.id], "states": b, "whole": recorded[it.id]})
    print(it.id, b == recorded[it.id], flush=True)
print(sum(r["same"] for r in rows), "of", len(rows), "identical")
(base / "with_states.json").write_text(json.dumps(rows, indent=1))
