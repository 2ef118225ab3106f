"""The local model's English wording of every French and Italian question of a dataset, as
the read path's condense step makes it (``rag.query.in_english``), written as a result-like
JSON whose records carry a condense step (readable by ``bench.context.english_wordings``).

    PYTHONPATH=. python eval/results/experiments/xling-lists/translate_dev.py eval/dev.jsonl OUT.json
"""
import json
import sys
from pathlib import Path

from rag.config import Settings
from rag.eval.datasets import load_dataset
from rag.llm.base import get_backend
from rag.llm.replay import Replay
from rag.query import in_english

dataset, out = sys.argv[1:]
s = Settings.from_env(llm_backend="llamacpp")
backend = Replay(get_backend(s), Path(".cache/llm"), model=s.llm_model)
records = []
for it in load_dataset(Path(dataset)):
    if it.lang == "en" or it.history:
        continue
    en = in_english(it.question, it.lang, backend, s)
    records.append({"question": it.question, "lang": it.lang,
                    "trace": [{"step": "condense", "english": en}]})
    print(len(records), it.question, "->", en, flush=True)
Path(out).write_text(json.dumps({"questions": records}, ensure_ascii=False, indent=1))
print("hits", backend.hits, "misses", backend.misses)
