"""Dev only: the relevance check's verdicts under prompt variants, over the answers today's
verification keeps from a committed dev run's replies (contexts from reverify.py's pickle).

    python eval/results/experiments/relevance-dev/variants.py /tmp/dev-ctx.pkl
"""
import collections, json, pickle, sys
from pathlib import Path

from rag.citations import verify
from rag.config import Settings
from rag.grounding import relevance as R
from rag.grounding.kinds import answers_kind
from rag.grounding.translate import Translator
from rag.llm.base import Request, get_backend
from rag.llm.replay import Replay

items = pickle.load(open(sys.argv[1], 'rb'))
st = Settings.from_env().replace(llm_backend='llamacpp')
backend = Replay(get_backend(st), Path('.cache/llm'), model=st.llm_model)

ANSWER_SYSTEM = (
    "You check answers. Given a question, a proposed answer and the passages it cites, decide "
    "whether the answer gives the information the question asks for and the passages say it. "
    "The passages and the question may be in different languages. Judge only by what the "
    "passages say, never by your own knowledge. "
    'Reply in JSON: {"answers": "yes"} or {"answers": "no"}.'
)


def with_answer(question, answer, quotes):
    text = "\n\n".join(q.strip() for q in dict.fromkeys(quotes) if q.strip())
    user = (f"Passages:\n{text}\n\nQuestion: {question.strip()}\n\nProposed answer: {answer}\n\n"
            "Does the proposed answer give what the question asks for, as the passages say it?")
    return [{"role": "system", "content": ANSWER_SYSTEM}, {"role": "user", "content": user}]


def ask(messages):
    reply = backend.complete(Request(question="", messages=messages, max_tokens=12,
                                     temperature=0.0, schema=R.RELEVANCE_SCHEMA))
    return R._verdict(reply) != "no"


out = collections.Counter()
for it in items:
    v = verify(it['reply'], it['ctx'], lang=it['lang'], translate=Translator(backend))
    if not v.citations or not answers_kind(it['query'], v.text, it['lang']):
        continue
    q = it['english'] or it['query']
    whole = {p.chunk_id: p for p in it['found']}
    pairs = [(c.quote, whole.get(c.chunk_id, it['ctx'][c.n - 1])) for c in v.citations]
    quotes = R.cited_evidence(pairs)
    base = ask(R.build_relevance_messages(q, quotes))
    from rag.citations import strip_markers
    ans = ask(with_answer(q, strip_markers(v.text), quotes))
    cls = 'unans' if not it['answerable'] else ('correct' if it['correct'] and it['was_kept'] else ('new' if not it['was_kept'] else 'wrong'))
    out[(cls, 'base', base)] += 1
    out[(cls, 'answer', ans)] += 1
    if base != ans:
        print(cls, it['id'], 'base', base, 'answer', ans, '|', it['question'][:80])
for k, n in sorted(out.items()):
    print(k, n)
