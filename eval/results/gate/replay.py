"""What the CI gate's local-model test would compute, answered from a replay cache.

``tests/test_eval_gate.py::test_local_model_meets_the_thresholds`` runs the model on a
sample of a gated set (every unanswerable original, every ``_llamacpp_originals_every``-th
answerable one, every ``_llamacpp_paraphrase_every``-th paraphrase group). Since a local
reply no longer depends on the calls before it (``rag.llm.prompt_states``), the replies of a
whole-set ``rag eval --llm-cache DIR`` run are the gate's replies: this script answers the
gate's sample from DIR and prints its metrics and the thresholds it misses, in about a
minute, before CI spends its half hour.

    PYTHONPATH=. python eval/results/gate/replay.py test .cache/llm [OUT.json]
    PYTHONPATH=. python eval/results/gate/replay.py debian .cache/llm [OUT.json]
"""

import json
import sys
from pathlib import Path

from rag.answer import answer
from rag.config import Settings
from rag.eval.corpus import prepare_index, resolve_target
from rag.eval.datasets import load_dataset, paraphrase_sample
from rag.eval.gate import check_thresholds, thresholds_for
from rag.eval.judge import backend_translator, cross_lingual_judge
from rag.eval.report import write_json
from rag.eval.runner import run_eval
from rag.llm.base import get_backend
from rag.llm.replay import Replay

ROOT = Path(__file__).resolve().parents[3]
label, cache = sys.argv[1], Path(sys.argv[2])
gate = json.loads((ROOT / "eval" / "thresholds.json").read_text())
path = ROOT / "eval" / ("test.jsonl" if label == "test" else f"{label}/test.jsonl")
settings = Settings.from_env().replace(llm_backend="llamacpp")
backend = Replay(get_backend(settings), cache, model=settings.llm_model)
items = paraphrase_sample(
    load_dataset(path), gate["_llamacpp_paraphrase_every"], gate["_llamacpp_originals_every"]
)
target = resolve_target(path, settings)
scoped, _ = prepare_index(settings, target)
result = run_eval(
    items,
    answer_fn=lambda q, h: answer(q, h, settings=scoped, backend=backend),
    judge=cross_lingual_judge(backend_translator(backend)),
    k=settings.top_k,
    progress=False,
    backend="llamacpp",
    target=target,
    context_tokens=settings.context_tokens,
)
result["llm_cache"] = {"hits": backend.hits, "misses": backend.misses}
if len(sys.argv) > 3:
    write_json(result, Path(sys.argv[3]))
m = result["metrics"]
keys = (
    "correct",
    "false_abstention_rate",
    "abstention_recall",
    "citation_precision",
    "paraphrase_consistency",
    "grounded",
    "hit@5",
    "source_hit@5",
    "uncited_answers",
)
print(f"{label}: {len(items)} questions, {backend.hits} replayed, {backend.misses} from the model")
print({k: round(m[k], 3) for k in keys if k in m})
print("below the thresholds:", check_thresholds(result, thresholds_for(gate, label, "llamacpp")))
