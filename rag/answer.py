"""The read path, orchestration only: condense -> retrieve -> generate -> verify -> decide.

    a = answer("How many wooden bridges does the town council want repaired?")
    a.text                  # '... repairing 39 wooden bridges ... [1].'
    a.citations[0].locator  # 'Harbour Report 2024, §5'

Every step is a small unit of its own; this module only calls them in order and records
the route in ``Answer.trace``:

1. condense: a follow-up becomes a standalone question; a French or Italian question also
   gets an English wording (``rag.query``);
2. retrieve: hybrid search over both wordings (``rag.retrieve``); the best sentences of the
   passages, within the token budget, are the model's context (``rag.context``);
3. generate: the backend answers as claims tied to sources (``rag.generate``);
4. verify: each sentence must be supported by the source it cites (``rag.citations``),
   if need be put into the source's language by the LLM (``rag.grounding.translate``);
5. decide: the answer is what verification kept if it states the number or date asked
   for (``rag.grounding.kinds``) and an LLM, asked whether the cited evidence answers the
   question, says yes (``rag.grounding.relevance``); else "The documents don't say.".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import asdict, replace
from typing import Any

from rag.config import Settings
from rag.llm.base import Backend, get_backend
from rag.llm.queue import Waits
from rag.query import to_turns
from rag.sync import ensure_index
from rag.types import Answer, Passage, Turn

__all__ = ["answer", "ensure_index", "stream_answer", "to_turns"]  # the last two re-exported

#: Why a ``wait`` step waited (``rag.llm.queue``); the UI says it while it happens.
_WAIT_REASON = "another answer was being written"


def _context(
    wordings: list[tuple[str, str]], passages: list[Passage], settings: Settings, backend: Backend
) -> list[Passage]:
    """What the backend reads: for an LLM, the best sentences within the token budget
    (prompt tokens are time to first token), with sentences that instruct the reader
    removed, so they support no claim either; the extractive backend reads the passages."""
    if not backend.uses_prompt or not passages:
        return passages
    from rag.context import compress, rank_sentences
    from rag.embeddings import get_embedder
    from rag.prompt import neutralize

    ranked = rank_sentences(wordings, passages, get_embedder(settings))
    kept = compress(passages, ranked, settings.context_tokens)
    return [replace(p, text=neutralize(p.text)) for p in kept]


def stream_answer(
    question: str,
    history: Iterable[Turn | Mapping[str, Any]] = (),
    *,
    settings: Settings | None = None,
    backend: Backend | None = None,
    on_wait: Callable[[bool], None] | None = None,
    waits: Waits | None = None,
) -> Generator[str | Answer, None, None]:
    """Yield the answer text in deltas as it is produced, then the final ``Answer``.

    The final ``Answer.text`` is the verified text, which may differ from the streamed
    deltas (unsupported sentences removed, citations re-pointed): ``Answer.trace`` says how.
    When the local model is busy with another answer, this one waits its turn
    (``rag.llm.queue``): ``on_wait(True)`` is called as the wait starts and
    ``on_wait(False)`` as it ends (or pass ``waits``, whose ``cancel()`` gives up the
    place); each wait is a ``wait`` step in the trace and ``timings["wait"]`` totals them.

    Raises:
        QuestionError: the question is empty, too long, has control characters or is in
            a language without a data file (``rag.questions``).
        RAGError: index or backend failures, with a message saying what to do.
    """
    from rag.citations import Verified, verify
    from rag.generate import Generation
    from rag.grounding.kinds import answers_kind, asked_kind
    from rag.grounding.translate import Translator
    from rag.prompt import ABSTAIN_TEXTS, abstain_text
    from rag.query import in_english, question_lang, standalone
    from rag.questions import check_question
    from rag.retrieve import retrieve

    t_start = time.perf_counter()
    settings = settings or Settings.from_env()
    q = check_question(question, settings)
    turns = to_turns(history)
    waits = waits or Waits(on_wait=on_wait)
    backend = (backend or get_backend(settings)).reporting_waits(waits)
    timings: dict[str, float] = {}
    trace: list[dict[str, Any]] = []

    def lap(stage: str, since: float) -> float:
        now = time.perf_counter()
        timings[stage] = round((now - since) * 1000, 1)
        for ms in waits.take():  # part of this stage's time
            trace.append({"step": "wait", "stage": stage, "ms": ms, "reason": _WAIT_REASON})
        return now

    t = time.perf_counter()
    ensure_index(settings)
    t = lap("index", t)
    query = standalone(q, turns, backend)
    lang = question_lang(q)
    english = in_english(query, lang, backend, settings)
    wordings = [(query, lang)] + ([(english, "en")] if english else [])
    trace.append({"step": "condense", "query": query, "lang": lang, "english": english})
    t = lap("condense", t)

    k = settings.context_candidates if backend.uses_prompt else settings.top_k
    passages = retrieve(query, settings, k=k, also=[english] if english else [], lang=lang)
    context = _context(wordings, passages, settings, backend)
    ids = [p.chunk_id for p in context]
    trace.append({"step": "retrieve", "passages": len(passages), "context": ids})
    t = lap("retrieve", t)

    gen = Generation(query, context, backend, settings, lang=lang)
    yield from gen.stream()
    trace.append(gen.info)
    t = lap("generate", t)

    translate = Translator(backend) if backend.uses_prompt else None  # claim -> source lang
    checked = Verified("")
    if context:  # a claim restating the question is shown as its source sentence
        checked = verify(gen.text, context, lang=lang, translate=translate, question=query)
    trace += [{"step": "translate-claim", **c} for c in (translate.calls if translate else [])]
    abstention = {a.rstrip(".") for a in ABSTAIN_TEXTS.values()}
    removed = [s for s in checked.unsupported if s.rstrip(".") not in abstention]
    trace += [{"step": "removed", "sentence": s, "reason": "unsupported"} for s in removed]
    trace += [{"step": "quoted", "sentence": s, "reason": "restates"} for s in checked.restated]
    t = lap("verify", t)

    answered = bool(checked.citations)
    if answered and not answers_kind(query, checked.text, lang):
        trace.append({"step": "kind", "asked": asked_kind(query, lang), "answers": False})
        answered = False  # "How many ...?" answered without a number
    if answered and backend.uses_prompt and settings.relevance_check:
        from rag.grounding.relevance import check_citations

        check = check_citations(english or query, checked.citations, context, passages, backend)
        trace.append({"step": "relevance", **asdict(check)})  # answers, reply, ms
        answered = check.answers
        t = lap("relevance", t)
    trace.append({"step": "decide", "abstained": not answered})
    if waits.total_ms:
        timings["wait"] = waits.total_ms
    timings["total"] = round((time.perf_counter() - t_start) * 1000, 1)
    yield Answer(
        question=q,
        text=checked.text if answered else abstain_text(lang),
        abstained=not answered,
        citations=checked.citations if answered else [],
        passages=list(context or passages),
        timings=timings,
        query=query,
        backend=backend.name,
        unsupported=removed,
        trace=trace,
    )


def answer(
    question: str,
    history: Iterable[Turn | Mapping[str, Any]] = (),
    *,
    settings: Settings | None = None,
    backend: Backend | None = None,
    on_wait: Callable[[bool], None] | None = None,
) -> Answer:
    """Answer ``question`` from the indexed documents, with verified citations.

    Args:
        question: the user's question, in any language.
        history: earlier turns (``Turn``s or ``{"role", "content"}`` dicts) for follow-ups.
        settings: defaults to ``Settings.from_env()``.
        backend: an LLM backend instance; defaults to ``settings.llm_backend``.
        on_wait: called with True when the answer starts waiting for the local model
            (busy with another answer), with False when its turn comes.

    Returns:
        An ``Answer`` with text, ``abstained``, verified ``citations``, the ranked
        ``passages``, per-stage ``timings`` in milliseconds and the ``trace``.

    Raises:
        QuestionError, IngestError, IndexStoreError, BackendError (all ``RAGError``).
    """
    final: Answer | None = None
    items = stream_answer(question, history, settings=settings, backend=backend, on_wait=on_wait)
    for item in items:
        if isinstance(item, Answer):
            final = item
    assert final is not None
    return final
