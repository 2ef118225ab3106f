"""The answer prompts of depends.py again with kept prompt states on
(``RAG_LLM_STATE_CACHE_MB=128``): each question's prompt is sent right after another
question's, as in a session, and its reply compared with the whole-prompt reply recorded in
depends.json (states off, another process).

    RAG_LLM_STATE_CACHE_MB=128 PYTHONPATH=. python eval/results/experiments/prefix-reuse/with_states.py
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from depends import HERE, questions, reply  # noqa: E402

from rag.config import Settings  # noqa: E402
from rag.llm.base import get_backend  # noqa: E402

recorded = {r["id"]: r["whole"] for r in json.loads((HERE / "depends.json").read_text())}
s = Settings.from_env(llm_backend="llamacpp")
assert s.llm_state_cache_mb > 0, "set RAG_LLM_STATE_CACHE_MB"
backend = get_backend(s)
qs = questions(13)
rows = []
for prev, it in zip(qs, qs[1:]):
    reply(prev, s, backend)
    b = reply(it, s, backend)
    rows.append({"id": it.id, "same": b == recorded[it.id], "states": b, "whole": recorded[it.id]})
    print(it.id, b == recorded[it.id], flush=True)
print(sum(r["same"] for r in rows), "of", len(rows), "identical")
(HERE / "with_states.json").write_text(json.dumps(rows, indent=1))
