"""Cache retrieval (k=8) per dev question with the LLM's English wording."""
import json, sys, glob, pickle, os
from pathlib import Path
from rag.config import Settings
from rag.eval.datasets import load_dataset
from rag.index import open_index
from rag.retrieve import retrieve
from rag.sync import sync_corpus
english = {}
for f in glob.glob('/work/main/eval/results/experiments/*dev*.json'):
    try: d = json.load(open(f))
    except Exception: continue
    for q in d.get('questions', []):
        for t in q.get('trace', []):
            if t.get('step') == 'condense' and t.get('english'):
                english[q['question']] = t['english']
data = Path(sys.argv[1]); dataset = Path(sys.argv[2]); corpus = Path(sys.argv[3]); out = sys.argv[4]
k = int(os.environ.get('K', 8))
s = Settings(data_dir=data, corpus_dir=corpus, llm_backend="extractive")
if not os.environ.get('NOSYNC'): sync_corpus(s)
index = open_index(s)
items = []
for it in load_dataset(dataset):
    if not it.answerable or not it.evidence: continue
    en = english.get(it.question) if it.lang != 'en' else None
    if it.lang != 'en' and not en and not os.environ.get('ASIS'): continue
    ps = retrieve(it.question, s, k=k, index=index, also=[en] if en else [], lang=it.lang)
    tr = {x.chunk_id: x for x in index.get(sorted({t for p in ps for t in p.translations}))}
    items.append(dict(it=it, en=en, ps=ps, tr=tr))
pickle.dump(items, open(out, 'wb'))
print(len(items))
