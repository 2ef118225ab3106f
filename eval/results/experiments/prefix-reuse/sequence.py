"""The read path over the first N questions of a dataset, in order, in one process; each
question's generation reply and relevance verdict written to OUT. Run once with kept prompt
states off and once on (``RAG_LLM_STATE_CACHE_MB=128``), then compare the two files: a
difference is a reply that depends on the calls before it.

    PYTHONPATH=. python eval/results/experiments/prefix-reuse/sequence.py eval/debian/test.jsonl 20 OUT.json
"""
import json
import sys
from pathlib import Path

from rag.answer import answer
from rag.config import Settings
from rag.eval.datasets import load_dataset

dataset, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
corpus = Path(dataset).parent / "corpus"
s = Settings.from_env(llm_backend="llamacpp")
if corpus.is_dir():
    s = s.replace(corpus_dir=corpus, data_dir=s.data_dir / "corpora" / corpus.parent.name)
rows = []
for it in load_dataset(Path(dataset))[:n]:
    a = answer(it.question, it.history, settings=s)
    steps = {t["step"]: t for t in a.trace}
    rows.append({"id": it.id, "reply": steps.get("generate", {}).get("reply"),
                 "relevance": steps.get("relevance", {}).get("answers"),
                 "english": steps.get("condense", {}).get("english"), "answer": a.text})
    print(it.id, flush=True)
Path(out).write_text(json.dumps(rows, indent=1, ensure_ascii=False))
