"""Evidence hits at rank 5 of ``retrieve()`` alone (no translation, no LLM), with a digest of
which questions hit: two fresh builds that rank differently give different digests.

How the HNSW breadth was chosen (Dec 7; at ef_search 100 two fresh builds of the Debian
corpus gave 137 and 139 hits of 227, at 200, 400 and 1000 every build gave 139 and the same
digest). To try a breadth, build into a new data dir:

    RAG_DATA_DIR=$(mktemp -d) RAG_HNSW_EF_SEARCH=100 PYTHONPATH=. \
        python eval/results/experiments/faq-replies/hits.py eval/debian/test.jsonl
"""

import hashlib
import sys

from rag.config import Settings
from rag.eval.corpus import prepare_index, resolve_target
from rag.eval.datasets import load_dataset
from rag.eval.metrics import matching_quotes
from rag.retrieve import retrieve

dataset = sys.argv[1]
base = Settings.from_env()
settings, _ = prepare_index(base, resolve_target(dataset, base))
hits = []
for item in load_dataset(dataset):
    if item.answerable and item.evidence:
        found = retrieve(item.question, settings, k=5, lang=item.lang)
        hits.append(any(matching_quotes([p.text for p in found], item.evidence)))
pattern = "".join("1" if h else "0" for h in hits)
print(sum(hits), len(hits), hashlib.md5(pattern.encode()).hexdigest()[:8])
