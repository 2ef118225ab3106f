import pickle, sys, collections, math
import rag.context as C
from rag.context import compress, rank_sentences
from rag.eval.metrics import matching_quotes
from rag.embeddings import get_embedder
from rag.config import Settings
items = pickle.load(open(sys.argv[1], 'rb'))
emb = get_embedder(Settings())
ranked_cache = []
for x in items:
    it = x['it']
    w = [(it.question, it.lang)] + ([(x['en'], 'en')] if x['en'] else [])
    ranked_cache.append(rank_sentences(w, x['ps'], emb))
def run(name, fn):
    c = collections.Counter()
    for x, ranked in zip(items, ranked_cache):
        it = x['it']; ctx = fn(x, ranked)
        hit = any(bool(m) for m in matching_quotes([p.text for p in ctx], it.evidence))
        c[it.lang] += hit; c['all'] += hit
    n = collections.Counter(x['it'].lang for x in items)
    print(f"{name:28s}", {k: f"{c[k]}/{n[k] if k!='all' else len(items)}" for k in ['all','en','fr','it']})
for budget in ([] if len(sys.argv)>2 else [256]):
    run('base', lambda x, r: compress(x['ps'], r, budget))
    run('prior0.2', lambda x, r: compress(x['ps'], r, budget, 0.2))
    run('prior0.5', lambda x, r: compress(x['ps'], r, budget, 0.5))
    C.PASSAGE_OVERHEAD_TOKENS = 15
    run('ovh15', lambda x, r: compress(x['ps'], r, budget))
    run('ovh15 prior0.2', lambda x, r: compress(x['ps'], r, budget, 0.2))
    C.PASSAGE_OVERHEAD_TOKENS = 30
    run('budget 384', lambda x, r: compress(x['ps'], r, 384))
    run('top1 only whole', lambda x, r: x['ps'][:1])
    run('top2 whole', lambda x, r: x['ps'][:2])
run('top8 strict', lambda x, r: x['ps'])
def tr_all(x, r):
    return x['ps'] + list(x['tr'].values())
run('top8 + translations', tr_all)
for b in (256, 320, 384):
    for pr in (0, 0.2):
        run(f'budget {b} prior {pr}', lambda x, r: compress(x['ps'], r, b, pr))
