"""Re-run verification (``rag.citations.verify``) over the replies a committed eval run
recorded, with today's code: which answers verification now keeps or removes. No LLM
call: each question's context is rebuilt (retrieval and compression from the recorded
wordings; questions whose rebuilt context differs from the record are skipped) and kept in
PICKLE, so later runs only verify. The relevance check and the judge are not rerun: a newly
kept answer's fate is read by hand on dev, and by ``rag eval --llm-cache`` on held-out sets.

    python eval/results/experiments/verify-replay/reverify.py RESULT.json CORPUS_NAME PICKLE [-v] [--translate]

``--translate`` gives verification the local model's claim translator
(``rag.grounding.translate``), its replies kept in ``.cache/llm``.
"""
import json, os, pickle, sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

from rag.citations import verify

res_path, name, cache = sys.argv[1:4]
verbose = '-v' in sys.argv
res = json.load(open(res_path))
if os.path.exists(cache):
    items = pickle.load(open(cache, 'rb'))
else:
    from rag.answer import _context
    from rag.config import Settings
    from rag.retrieve import retrieve
    s = Settings.from_env()
    if name != 'seeds':  # the default corpus lives in the data folder itself
        s = replace(s, data_dir=Path(s.data_dir) / 'corpora' / name)
    backend = SimpleNamespace(uses_prompt=True)  # _context only asks whether it reads a prompt
    items, mismatch = [], 0
    for q in res['questions']:
        tr = q.get('trace') or []
        gen = next((t for t in tr if t['step'] == 'generate'), None)
        ret = next((t for t in tr if t['step'] == 'retrieve'), None)
        if not gen or not ret or not ret['context']:
            continue
        cond = next(t for t in tr if t['step'] == 'condense')
        english = cond.get('english')
        wordings = [(cond['query'], cond['lang'])] + ([(english, 'en')] if english else [])
        found = retrieve(cond['query'], s, k=s.context_candidates,
                         also=[english] if english else [], lang=cond['lang'])
        ctx = _context(wordings, found, s, backend)
        if [p.chunk_id for p in ctx] != ret['context']:
            mismatch += 1
            continue
        was_kept = bool(q['citations']) or any(t['step'] == 'relevance' for t in tr)
        items.append(dict(id=q['id'], lang=q['lang'], answerable=q['answerable'],
                          question=q['question'], reply=gen['reply'], ctx=ctx, found=found,
                          query=cond['query'], english=english,
                          was_kept=was_kept, correct=q['verdicts'].get('correct'),
                          in_context=q['verdicts'].get('in_context'), abstained=q['abstained']))
    print('context differs from the record (skipped):', mismatch)
    pickle.dump(items, open(cache, 'wb'))

translate = None
if '--translate' in sys.argv:
    from rag.config import Settings
    from rag.grounding.translate import Translator
    from rag.llm.base import get_backend
    from rag.llm.replay import Replay
    st = Settings.from_env().replace(llm_backend='llamacpp')
    backend = Replay(get_backend(st), Path('.cache/llm'), model=st.llm_model)
changed = {'now_kept': [], 'now_removed': [], 'same': 0}
for it in items:
    if '--translate' in sys.argv:
        translate = Translator(backend)
    v = verify(it['reply'], it['ctx'], lang=it['lang'], translate=translate)
    if translate and translate.calls and verbose:
        print('   translated:', [c['text'] for c in translate.calls])
    now_kept = bool(v.citations)
    if now_kept == it['was_kept']:
        changed['same'] += 1
        continue
    key = 'now_kept' if now_kept else 'now_removed'
    changed[key].append(it['id'])
    if verbose:
        print('=' * 80)
        print(key, it['id'], it['lang'], 'answerable' if it['answerable'] else 'UNANSWERABLE',
              'ev_in_ctx' if it['in_context'] else '', it['question'])
        print('  reply:', it['reply'])
        print('  now  :', v.text, '| removed:', v.unsupported)
        if verbose and '-vv' in sys.argv:
            for i, p in enumerate(it['ctx'], 1):
                print(f'   [{i}] ({p.lang})', p.text[:500])
print({k: (v if isinstance(v, int) else len(v)) for k, v in changed.items()})
