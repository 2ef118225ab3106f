"""Which ranked lists a non-English question's wordings add to fusion (retrieval only, no LLM).

    PYTHONPATH=. python eval/results/experiments/xling-lists/variants.py DATASET CORPUS RESULT.json...

English wordings come from the condense steps of recorded LLM runs (RESULT.json). For every
answerable question with evidence: is an evidence quote in the 8 passages (in any language of
a linked paragraph), and at rank 1. Variants change only which lists the original
(non-English) wording contributes.
"""
import sys
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from bench.context import english_wordings
from rag.config import Settings
from rag.eval.datasets import load_dataset
from rag.eval.metrics import matching_quotes
from rag.index import open_index
from rag.lexical import lexical_index
from rag.parallel import collapse
from rag.retrieve import dedupe, fuse


SHARE = {}


def wfuse(lists, weights):
    scores = {}
    for ranking, w in zip(lists, weights):
        for rank, cid in enumerate(ranking):
            scores[cid] = scores.get(cid, 0.0) + w / (60 + rank + 1)
    return sorted(scores, key=lambda c: -scores[c])


def retrieve_v(query, also, lang, s, index, k, variant):
    queries = [query, *[q for q in also if q and q != query]]
    vecs = index.embedder.embed(queries)
    lex = lexical_index(index)
    lists = []
    weights = []
    cand = {}
    for i, (text, vec) in enumerate(zip(queries, vecs)):
        dense = index.query(vec, 40)
        cand.update({p.chunk_id: p for p in dense})
        bm = [cid for cid, _ in lex.search(text, 40)]
        sb = [cid for cid, _ in lex.sentences.search(text, 40)] if lex.sentences is not None else []
        original_foreign = i == 0 and lang != "en" and len(queries) > 1
        if original_foreign and variant == "drop-dense":
            lists += [bm, sb]
        elif original_foreign and variant == "drop-all":
            pass
        elif original_foreign and variant == "lex-only-sent":
            lists += [bm]
        else:
            lists += [[p.chunk_id for p in dense], bm, sb]
        if variant == "known":
            from rag.lexical import words, stopwords, _LANGS
            stops = frozenset().union(*(stopwords(l) for l in _LANGS))
            terms = [t for t in words(text) if t not in stops]
            w = sum(lex.knows(t) for t in terms) / len(terms) if terms else 0.0
        elif variant == "presence":
            w = 1.0 if SHARE.get(lang if i == 0 else "en", 0.0) > 0 else 0.0
        elif variant == "share-sym":
            w = SHARE.get(lang if i == 0 else "en", 0.0)
        else:
            w = SHARE.get(lang, 0.0) if original_foreign else 1.0
        weights += [w] * (len(lists) - len(weights))
    if variant in ("share", "share-sym", "known", "presence"):
        order = wfuse(lists, weights)
    else:
        order = fuse(*lists)
    missing = [c for c in order if c not in cand]
    for p in index.get(missing):
        cand[p.chunk_id] = p
    ranked = collapse([cand[c] for c in order if c in cand], lang)
    return dedupe(ranked, k)


def main():
    dataset, corpus, *results = sys.argv[1:]
    eng = english_wordings([Path(r) for r in results])
    s = Settings.from_env(llm_backend="extractive", corpus_dir=Path(corpus))
    if corpus != "seeds":
        s = replace(s, data_dir=Path(".rag/corpora") / Path(corpus).parent.name)
    index = open_index(s)
    from collections import Counter
    langs = Counter(p.lang for p in index.all_passages())
    SHARE.update({l: n / sum(langs.values()) for l, n in langs.items()})
    print("corpus languages", dict(langs))
    variants = ["current", "drop-dense", "lex-only-sent", "drop-all", "share", "share-sym", "known"]
    agg = defaultdict(lambda: defaultdict(int))
    for it in load_dataset(Path(dataset)):
        if not it.answerable or not it.evidence or it.lang == "en":
            continue
        en = eng.get(it.question)
        if not en:
            continue
        for v in variants:
            ps = retrieve_v(it.question, [en], it.lang, s, index, 8, v)
            linked = index.get(sorted({t for p in ps for t in p.translations}))
            texts = [p.text for p in [*ps, *linked]]
            hit = any(matching_quotes(texts, it.evidence))
            top = any(matching_quotes([ps[0].text] + [l.text for l in index.get(list(ps[0].translations))], it.evidence)) if ps else False
            for key in (it.lang, "all"):
                agg[key, v]["n"] += 1
                agg[key, v]["cand8"] += hit
                agg[key, v]["top1"] += top
    for (key, v), c in sorted(agg.items()):
        print(f"{key:4} {v:14} n={c['n']:3} cand8={c['cand8']/c['n']:.3f} top1={c['top1']/c['n']:.3f}")


main()
