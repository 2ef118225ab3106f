"""The extractive backend on real seed questions over a real index of the seeds.

Answers must quote passage sentences with a marker pointing at the passage that holds
the fact; questions the documents can't answer get exactly the abstention sentence.
"""

from __future__ import annotations

import re

import pytest

from rag.config import Settings
from rag.embeddings import get_embedder
from rag.llm.base import Backend, Request, get_backend
from rag.llm.extractive import (
    ABSTAIN_TEXT,
    ABSTAIN_TEXTS,
    ExtractiveBackend,
    _heading,
    condense_heuristic,
)
from rag.types import Passage, Turn

ANSWERABLE = [
    ("How many political prisoners does the Assembly want released?", "39"),
    ("Who signed the joint statement?", "Theodoros Roussopoulos"),
    ("When will the referendum on a unicameral parliament be held?", "2027"),
    ("In which year did Kazakhstan abolish the death penalty?", "2022"),
    ("What does the Assembly say about internet censorship?", "internet censorship"),
    (
        "Which opposition party was refused registration for the twenty-fifth time?",
        "Alga Kazakhstan",
    ),
    ("Who is the Minister of Justice of Kazakhstan?", "Yerlan Sarsembayev"),
    ("When was the constitutional referendum held?", "15 March 2026"),
    ("Combien de prisonniers politiques l'Assemblée demande-t-elle de libérer ?", "39"),
    ("Quanti prigionieri politici chiede di liberare l'Assemblea?", "39"),
    ("En quelle année le Kazakhstan a-t-il aboli la peine de mort ?", "2022"),
    # "see" and "plan" are in no passage, but the answering sentence is at cosine 0.82
    (
        "What benefits did Council of Europe representatives see in Kazakhstan's plan for a "
        "unicameral Parliament?",
        "legislative efficiency",
    ),
]
UNANSWERABLE = [
    ("What is the population of Kazakhstan?", "en"),
    ("What is the capital of Kazakhstan?", "en"),
    ("Who won the 2022 FIFA World Cup?", "en"),
    ("What is the GDP of Kazakhstan?", "en"),
    ("How many members does the Senate of Kazakhstan have?", "en"),
    ("What is the currency of Kazakhstan?", "en"),
    ("When did Kazakhstan join the Council of Europe?", "en"),
    ("Quelle est la capitale du Kazakhstan ?", "fr"),
    ("Qual è la moneta del Kazakistan?", "it"),
]
_MARKED = re.compile(r"(.+?)\s\[(\d+)\]([.!?…]*[\"”»’)\]]*)(?:\s|$)")


@pytest.fixture(scope="module")
def backend() -> ExtractiveBackend:
    return ExtractiveBackend(embedder=get_embedder(Settings()))


@pytest.fixture(scope="module")
def ask(seed_settings: Settings, backend: ExtractiveBackend):  # type: ignore[no-untyped-def]
    """question -> (answer text, passages it was given)."""
    from rag.retrieve import retrieve

    def run(question: str) -> tuple[str, list[Passage]]:
        passages = retrieve(question, seed_settings)
        return backend.complete(Request(question=question, passages=passages)), passages

    return run


def _quoted(text: str) -> list[tuple[str, int]]:
    """(sentence without its marker, marker number) for each quoted sentence."""
    return [(m.group(1).strip(), int(m.group(2))) for m in _MARKED.finditer(text)]


@pytest.mark.parametrize(("question", "fact"), ANSWERABLE)
def test_answers_quote_the_fact_and_cite_its_passage(question: str, fact: str, ask) -> None:  # type: ignore[no-untyped-def]
    text, passages = ask(question)
    assert fact in text, text
    quoted = _quoted(text)
    assert 1 <= len(quoted) <= 3, text
    for sentence, n in quoted:
        assert 1 <= n <= len(passages)
        # Quoted as written: the sentence is in the passage its marker points at.
        assert " ".join(sentence.split()) in " ".join(passages[n - 1].text.split()), sentence
    assert any(fact in s for s, _ in quoted)
    # The whole answer is those sentences and markers, nothing invented around them.
    assert _MARKED.sub("", text).strip() == ""


@pytest.mark.parametrize(("question", "lang"), UNANSWERABLE)
def test_unanswerable_questions_abstain(question: str, lang: str, ask) -> None:  # type: ignore[no-untyped-def]
    text, _ = ask(question)
    assert text == ABSTAIN_TEXTS[lang]


def test_trilingual_fact_is_quoted_once(
    backend: ExtractiveBackend,
    seed_settings: Settings,
    ask,  # type: ignore[no-untyped-def]
) -> None:
    """The resolution states each fact in en, fr and it: one fact, one sentence."""
    from rag.retrieve import retrieve

    question = "How many political prisoners does the Assembly want released?"
    _, passages = ask(question)
    french = [p for p in retrieve("libération de 39 prisonniers politiques", seed_settings)]
    both = list(passages) + [p for p in french if p.lang == "fr"][:2]
    assert any(p.lang == "fr" and "39" in p.text for p in both)
    text = backend.complete(Request(question=question, passages=both))
    assert text.count("39") == 1, text
    assert "prisonniers" not in text  # the English question gets the English sentence


def test_streaming_yields_sentences_that_join_to_the_answer(
    backend: ExtractiveBackend,
    ask,  # type: ignore[no-untyped-def]
) -> None:
    question = "When will the referendum on a unicameral parliament be held?"
    text, passages = ask(question)
    pieces = list(backend.stream(Request(question=question, passages=passages)))
    assert "".join(pieces) == text and all(pieces)


def test_no_passages_or_empty_question_abstains(backend: ExtractiveBackend) -> None:
    assert backend.complete(Request(question="Who signed it?")) == ABSTAIN_TEXT
    assert backend.complete(Request(question="Et quand ?")) == ABSTAIN_TEXTS["fr"]


def test_registered_as_the_extractive_backend() -> None:
    b = get_backend(Settings(llm_backend="extractive"))
    assert isinstance(b, ExtractiveBackend) and isinstance(b, Backend)
    assert b.name == "extractive" and b.uses_prompt is False and b.can_stream


def test_abstention_sentences_are_the_prompt_modules() -> None:
    from rag import prompt

    assert ABSTAIN_TEXT == prompt.ABSTAIN_TEXT == "The documents don't say."
    assert ABSTAIN_TEXTS == prompt.ABSTAIN_TEXTS


def test_embeds_a_bounded_number_of_sentences(ask) -> None:  # type: ignore[no-untyped-def]
    """Latency stays flat: at most 16 candidate sentences (+ the question) are embedded,
    however long the passages (about 0.3 s per answer on 2 idle cores)."""
    real = get_embedder(Settings())
    sizes: list[int] = []

    class Counting:
        def embed(self, texts: list[str]):  # type: ignore[no-untyped-def]
            sizes.append(len(texts))
            return real.embed(texts)

    question = "Who is the Minister of Justice of Kazakhstan?"
    _, passages = ask(question)
    many = list(passages) * 3  # the same passages three times: 3x the candidates
    text = ExtractiveBackend(embedder=Counting()).complete(Request(question, many))
    assert "Yerlan Sarsembayev" in text
    assert sizes and max(sizes) <= 17


# --------------------------------------------------------------------------- follow-ups

FOLLOW_UPS = [
    # (history, follow-up, terms the standalone query must gain, fact in the answer)
    (
        [
            Turn("user", "What did the Assembly say about the death penalty?"),
            Turn("assistant", "It commends Kazakhstan for the abolition of the death penalty [1]."),
        ],
        "And when was it abolished?",
        ["death", "penalty"],
        "2022",
    ),
    (
        [Turn("user", "What reform did President Tokayev propose in his September address?")],
        "And when is the referendum?",
        ["Tokayev", "reform"],
        "2027",
    ),
    (
        [Turn("user", "Which opposition party was refused registration?")],
        "How many times was it refused?",
        ["opposition", "party"],
        "twenty-fifth",
    ),
    (
        [Turn("user", "Le Kazakhstan a-t-il aboli la peine de mort ?")],
        "Et quand ?",
        ["peine", "mort"],
        "2022",
    ),
]


@pytest.mark.parametrize(("history", "question", "gained", "fact"), FOLLOW_UPS)
def test_follow_ups_become_standalone_and_are_answered(
    history: list[Turn],
    question: str,
    gained: list[str],
    fact: str,
    ask,  # type: ignore[no-untyped-def]
) -> None:
    query = condense_heuristic(question, history)
    assert query.startswith(question)
    assert all(w in query for w in gained), query
    text, _ = ask(query)
    assert fact in text, text


def test_standalone_questions_are_left_alone() -> None:
    history = [Turn("user", "Who signed the joint statement?")]
    q = "Who is the Minister of Justice of Kazakhstan?"
    assert condense_heuristic(q, history) == q
    assert condense_heuristic("And when?", []) == "And when?"


def test_follow_up_skips_an_abstention_and_uses_the_answer_names() -> None:
    history = [
        Turn("user", "Who signed it?"),
        Turn("assistant", "The statement was signed by Maulen Ashimbayev in 2025 [2]."),
    ]
    query = condense_heuristic("When?", history)
    assert "Ashimbayev" in query and "2025" in query and "[2]" not in query
    abstained = [Turn("user", "Who signed it?"), Turn("assistant", ABSTAIN_TEXT)]
    assert condense_heuristic("When?", abstained) == "When? signed"


def test_a_heading_is_not_quoted_as_an_answer(ask) -> None:  # type: ignore[no-untyped-def]
    text, _ = ask("Who wrote the article about Kazakhstan's human rights reforms?")
    assert "Human Rights Profile at the Global Stage" not in text
    assert not _heading("As the Minister of Justice, I can state with confidence.")
    assert _heading("Strengthening Kazakhstan’s Human Rights Profile at the Global Stage")


def test_a_lead_in_ending_in_a_colon_is_not_quoted_as_an_answer(ask) -> None:  # type: ignore[no-untyped-def]
    # Measured (q062): "L'Assemblée appelle les autorités du Kazakhstan:" ranked first and
    # was quoted; verification then dropped it as saying nothing, and the answer lost.
    q = (
        "De quel groupe du Conseil de l'Europe l'Assemblée suggère-t-elle au Kazakhstan "
        "de devenir membre ?"
    )
    text, _ = ask(q)
    assert not any(s.rstrip().endswith(":") for s, _ in _quoted(text))
    assert "Pompidou" in text
