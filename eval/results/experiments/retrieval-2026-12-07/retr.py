"""Retrieval evidence on a dataset: python retr.py DATASET CORPUS [label]"""

import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from bench.baseline import _scores
from rag.config import Settings
from rag.eval.datasets import load_dataset
from rag.index import open_index
from rag.retrieve import retrieve
from rag.sync import sync_corpus


def mine(dataset, corpus, data, english=None):
    s = Settings(data_dir=data, corpus_dir=corpus, llm_backend="extractive")
    sync_corpus(s)
    index = open_index(s)
    sums = defaultdict(lambda: defaultdict(float))
    n = defaultdict(int)
    for it in load_dataset(dataset):
        if not it.answerable or not it.evidence:
            continue
        ps = retrieve(it.question, s, k=8, index=index, lang=it.lang)
        for key in ("all", it.lang):
            n[key] += 1
            for m, v in _scores([p.text for p in ps], list(it.evidence)).items():
                sums[key][m] += v
    return {k: {"n": n[k], **{m: round(v / n[k], 3) for m, v in sums[k].items()}} for k in n}


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        print(
            sys.argv[3] if len(sys.argv) > 3 else "",
            json.dumps(mine(Path(sys.argv[1]), Path(sys.argv[2]), Path(tmp))),
        )
