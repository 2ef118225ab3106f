"""Dev-set variants of the context's sentence order, measured as evidence in the context.

The no-LLM diagnostic of ``../faq-replies/ctxdiag.py`` (evidence among the K candidates and
in the 256-token context, wordings from a committed local-model run), with one variant of
the order set by the environment:

- ``HEADINGS=1``: sentences that cannot answer (a heading, a lead-in ending in a colon:
  the extractive backend's rule) after all others;
- ``KIND=1``: the same, and also sentences without the kind the question asks for (a
  number, a date, a person: ``rag.grounding.kinds``);
- ``STOPX=1``: English content terms without ~90 more function words (pronouns,
  auxiliaries, question words; the Lucene list that bm25s gives for English has 33, its
  French list 157, its Italian 279); BM25 is left as it is;
- ``COVER=1``: needs ``git apply coverage.patch``: each next sentence is the best by
  meaning and by the question's terms not yet covered (``SOFT=0.5`` counts a covered
  term at half its weight);
- ``BUDGETS=224,256,320,512``: evidence in the context at each of these token budgets
  (the same candidates and order), instead of at 256 alone;
- ``POOL=40``: retrieval fuses the first 40 of each list, as before commit 853ecc7 (80 since;
  the numbers of the fusion-depth entry in the README: evidence at rank 1, among the read
  path's 8 candidates, in the context; run it on eval/test.jsonl and eval/debian/test.jsonl
  with their committed runs for the held-out ones).

    PYTHONPATH=. python eval/results/experiments/context-order/variants.py \
        eval/results/manuals-dev-llamacpp.json eval/manuals/dev.jsonl
"""

import importlib
import json
import os
import sys

import rag.text
from rag.config import Settings
from rag.context import compress, rank_sentences
from rag.embeddings import get_embedder
from rag.eval.corpus import prepare_index, resolve_target
from rag.eval.datasets import load_dataset
from rag.eval.metrics import matching_quotes
from rag.grounding.kinds import asked_kind, has_kind
from rag.llm.extractive import _states_something
from rag.retrieve import retrieve

K, BUDGET = 8, 256
_WORDS = """
i me my myself we our ours ourselves you your yours yourself yourselves he him his
himself she her hers herself its itself them theirs themselves what which who whom
whose why how where when this those am were been being have has had having do does
did doing would should could can may might must shall from about through during than
so too just also because while until nor own same other some any each both all very
here whether
"""
EXTRA_EN = frozenset(_WORDS.split())
if os.environ.get("STOPX"):
    _stopwords = rag.text.stopwords
    rag.text.stopwords = lambda lang: _stopwords(lang) | (EXTRA_EN if lang == "en" else set())

run, dataset = sys.argv[1], sys.argv[2]
settings, _ = prepare_index(Settings.from_env(), resolve_target(dataset, Settings.from_env()))
embedder = get_embedder(settings)
with open(run) as f:
    records = {q["id"]: q for q in json.load(f)["questions"]}
if os.environ.get("POOL"):  # fusion depth: 40 before commit 853ecc7, 80 since
    importlib.import_module("rag.retrieve")._MIN_CANDIDATES = int(os.environ["POOL"])
budgets = [int(b) for b in os.environ.get("BUDGETS", str(BUDGET)).split(",")]
n = at_1 = in_k = 0
in_context = dict.fromkeys(budgets, 0)
for item in load_dataset(dataset):
    if not item.answerable or not item.evidence or item.id not in records:
        continue
    steps = {s["step"]: s for s in records[item.id]["trace"]}
    asked = steps.get("condense", {})
    query, lang = asked.get("query") or item.question, asked.get("lang") or item.lang
    english = asked.get("english")
    wordings = [(query, lang)] + ([(english, "en")] if english else [])
    found = retrieve(query, settings, k=K, also=[english] if english else [], lang=lang)
    options = {"covering": True} if os.environ.get("COVER") else {}
    ranked = rank_sentences(wordings, found, embedder, **options)
    if os.environ.get("HEADINGS") or os.environ.get("KIND"):
        kind = asked_kind(query, lang) if os.environ.get("KIND") else None
        ranked = sorted(
            ranked, key=lambda c: not (_states_something(c[1]) and has_kind(kind, c[1]))
        )
    n += 1
    held = [bool(q) for q in matching_quotes([p.text for p in found], item.evidence)]
    at_1 += any(held[:1])
    in_k += any(held)
    for budget in budgets:
        kept = compress(found, ranked, budget)
        in_context[budget] += any(matching_quotes([p.text for p in kept], item.evidence))
shares = " ".join(f"{b}:{v / n:.3f}" for b, v in in_context.items())
print(f"n={n} at 1={at_1 / n:.3f} in K={in_k / n:.3f} in context={shares}")
