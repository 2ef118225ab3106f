"""Abstentions and answers of answerable questions by cause, from a rag eval result JSON:
refused by the relevance check or by verification, evidence in the context or not.

    python eval/results/experiments/full-test/causes.py RESULT.json
"""
import json,sys,collections
d=json.load(open(sys.argv[1]))
c=collections.Counter(); wrong=collections.Counter()
for q in d['questions']:
    if not q['answerable']: continue
    tr={s['step']:s for s in q.get('trace',[])}
    inc=q['verdicts'].get('in_context')
    if q['abstained']:
        g=tr.get('generate',{})
        if g.get('claims')==0: cause='model_empty'
        elif 'relevance' in tr and not tr['relevance']['answers']: cause='relevance_no'
        else: cause='verify_removed_all'
        c[(cause,'ev_in_ctx' if inc else 'ev_missing')]+=1
    else:
        wrong[('correct' if q['verdicts'].get('correct') else 'wrong','ev_in_ctx' if inc else 'ev_missing')]+=1
for k,v in sorted(c.items()): print('abstained',k,v)
for k,v in sorted(wrong.items()): print('answered',k,v)
u=[q for q in d['questions'] if not q['answerable']]
print('unanswerable',len(u),'abstained',sum(q['abstained'] for q in u))
for q in u:
    tr={s['step']:s for s in q.get('trace',[])}
    if not q['abstained']: print('  answered-unans relevance:',tr.get('relevance',{}).get('answers'))
