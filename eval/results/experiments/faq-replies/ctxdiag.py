"""Dev-set diagnostic: is the evidence among the retrieved candidates, and in the context?

For each answerable question of a dev set: the rank of the first retrieved passage holding
an evidence quote (of 20), and whether the 256-token context the LLM would read
(``rag.context``, from the first K passages) still holds it. The wordings (the question and
its English version) are read from a committed local-model run of the same set, so no LLM
is called: a change to chunking or context ranking is seen in a few minutes. V=1 prints,
for each question whose evidence was retrieved but left out, the best-ranked sentences.

    PYTHONPATH=. python eval/results/experiments/faq-replies/ctxdiag.py \
        eval/results/manuals-dev-llamacpp.json eval/manuals/dev.jsonl 8 256
"""

import collections
import json
import os
import sys

from rag.config import Settings
from rag.context import compress, rank_sentences
from rag.embeddings import get_embedder
from rag.eval.corpus import prepare_index, resolve_target
from rag.eval.datasets import load_dataset
from rag.eval.metrics import matching_quotes
from rag.retrieve import retrieve

run, dataset = sys.argv[1], sys.argv[2]
K = int(sys.argv[3]) if len(sys.argv) > 3 else 8
BUDGET = int(sys.argv[4]) if len(sys.argv) > 4 else 256
settings, _ = prepare_index(Settings.from_env(), resolve_target(dataset, Settings.from_env()))
embedder = get_embedder(settings)
with open(run) as f:
    records = {q["id"]: q for q in json.load(f)["questions"]}
counts: collections.Counter = collections.Counter()
for item in load_dataset(dataset):
    if not item.answerable or not item.evidence or item.id not in records:
        continue
    steps = {s["step"]: s for s in records[item.id]["trace"]}
    asked = steps.get("condense", {})
    query, lang = asked.get("query") or item.question, asked.get("lang") or item.lang
    english = asked.get("english")
    wordings = [(query, lang)] + ([(english, "en")] if english else [])
    found = retrieve(query, settings, k=max(K, 20), also=[english] if english else [], lang=lang)
    holds = [bool(q) for q in matching_quotes([p.text for p in found], item.evidence)]
    rank = next((r for r, held in enumerate(holds, 1) if held), 0)
    ranked = rank_sentences(wordings, found[:K], embedder)
    kept = compress(found[:K], ranked, BUDGET)
    in_context = any(matching_quotes([p.text for p in kept], item.evidence))
    if os.environ.get("V") and 0 < rank <= K and not in_context:
        print("##", item.id, item.lang, item.question, "| evidence in passage", rank)
        for n, (i, sentence, score) in enumerate(ranked[:6]):
            print("   ", n, i, score, sentence[:120])
    group = "en" if item.lang == "en" else "other"
    where = "in K" if 0 < rank <= K else ("in 20" if rank else "not in 20")
    counts[(group, where, "in context" if in_context else "left out")] += 1
    counts["n"] += 1
    counts["context"] += in_context
    counts["K"] += 0 < rank <= K
n = counts.pop("n")
in_k, in_context = counts.pop("K") / n, counts.pop("context") / n
print(f"K={K} budget={BUDGET} n={n} in K={in_k:.3f} in context={in_context:.3f}")
for key, value in sorted(counts.items()):
    print(" ", key, value)
