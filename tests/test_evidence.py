"""The evidence gate on real seed questions, over a real index of the seeds.

The passages come from the real pipeline (``seed_settings`` in tests/conftest.py: the
seeds synced into a Chroma index in a temp folder; ``rag.retrieve.retrieve``), so these
tests check what a user would get.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from rag.answer_types import (
    acronyms,
    co_listed,
    holds_role,
    kind_asked,
    names_kind,
    split_compound,
)
from rag.config import Settings
from rag.embeddings import get_embedder
from rag.evidence import (
    answer_type,
    assess,
    coverage,
    detect_lang,
    key_terms,
    satisfies_type,
    sentences_of,
)
from rag.types import Passage

# (question, a fact the best sentence must contain, the seed file that holds it)
ANSWERABLE = [
    ("How many political prisoners does the Assembly want released?", "39", "003"),
    ("Who signed the joint statement?", "Roussopoulos", "000"),
    ("When will the referendum on a unicameral parliament be held?", "2027", "002"),
    ("In which year did Kazakhstan abolish the death penalty?", "2022", "003"),
    ("What does the Assembly say about internet censorship?", "censorship", "003"),
    (
        "Which opposition party was refused registration for the twenty-fifth time?",
        "Alga Kazakhstan",
        "003",
    ),
    ("Who is the Minister of Justice of Kazakhstan?", "Yerlan Sarsembayev", "004"),
    ("When was the constitutional referendum held?", "15 March 2026", "001"),
    # "In November 2025" is the article's date (2025-11-14), not in its text.
    (
        "In November 2025, when did Ashimbayev say the referendum on a unicameral "
        "Parliament would be held?",
        "2027",
        "002",
    ),
    ("Combien de prisonniers politiques l'Assemblée demande-t-elle de libérer ?", "39", "003"),
    ("Quanti prigionieri politici chiede di liberare l'Assemblea?", "39", "003"),
    ("En quelle année le Kazakhstan a-t-il aboli la peine de mort ?", "2022", "003"),
]
UNANSWERABLE = [
    "What is the population of Kazakhstan?",
    "What is the capital of Kazakhstan?",
    "Who won the 2022 FIFA World Cup?",
    "What is the GDP of Kazakhstan?",
    "How many members does the Senate of Kazakhstan have?",
    "What is the currency of Kazakhstan?",
    "When did Kazakhstan join the Council of Europe?",  # it is not a member
]


@pytest.fixture(scope="session")
def retrieved(seed_settings: Settings):  # type: ignore[no-untyped-def]
    from rag.retrieve import retrieve

    cache: dict[str, list[Passage]] = {}

    def get(question: str) -> list[Passage]:
        if question not in cache:
            cache[question] = retrieve(question, seed_settings)
        return cache[question]

    return get


# --------------------------------------------------------------------------- units


@pytest.mark.parametrize(
    ("question", "lang", "expected"),
    [
        (
            "How many political prisoners does the Assembly want released?",
            "en",
            ["polit", "prison", "Assembly", "releas"],
        ),
        ("Who signed the joint statement?", "en", ["sign", "joint", "statement"]),
        ("Who won the 2022 FIFA World Cup?", "en", ["2022", "FIFA", "World", "Cup"]),
        (
            "Combien de prisonniers politiques l'Assemblée demande-t-elle de libérer ?",
            "fr",
            ["prisonni", "polit", "Assemblée", "liber"],
        ),
        (
            "Quanti prigionieri politici chiede di liberare l'Assemblea?",
            "it",
            ["prigionier", "polit", "liber", "Assemblea"],
        ),
    ],
)
def test_key_terms_drop_stop_and_question_words(
    question: str, lang: str, expected: list[str]
) -> None:
    assert key_terms(question, lang) == expected


def test_coverage_matches_stems_and_word_families() -> None:
    q = "Which opposition party was refused registration?"
    text = "persistent refusal to register the peaceful opposition party"
    # refused/refusal share a stem; registration/register are one word family.
    assert coverage(q, text, "en") == 1.0
    assert coverage(q, "The weather was fine.", "en") == 0.0
    # Names and numbers match exactly, not by stem.
    assert coverage("What did FIFA say in 2022?", "fifa said it in 2021", "en") == 0.5


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many members does the Senate have?", "number"),
        ("Combien de prisonniers ?", "number"),
        ("Quanti prigionieri politici?", "number"),
        ("What is the population of Kazakhstan?", "number"),
        ("When was the referendum held?", "date"),
        ("In which year did Kazakhstan abolish the death penalty?", "date"),
        ("Quand le référendum a-t-il eu lieu ?", "date"),
        ("Quando è stato firmato?", "date"),
        ("Who signed the joint statement?", "person"),
        ("Chi è il ministro della giustizia?", "person"),
        ("What does the Assembly say about internet censorship?", None),
    ],
)
def test_answer_type(question: str, kind: str | None) -> None:
    assert answer_type(question) == kind


@pytest.mark.parametrize(
    ("kind", "sentence", "ok"),
    [
        ("number", "releasing 39 political prisoners", True),
        ("number", "from 20,000 to 5,000 members", True),
        ("number", "the 8th Congress of Leaders", False),  # an ordinal is not a count
        ("number", "5. The Assembly welcomes the co-operation", False),  # a label
        ("date", "a nationwide referendum in 2027", True),
        ("date", "a joint statement issued on Sept. 30 in Strasbourg", True),
        ("date", "the Assembly deplores credible reports", False),
        ("person", "Yerlan Sarsembayev is the Minister of Justice of Kazakhstan.", True),
        ("person", "The Parliamentary Assembly of the Council of Europe commends it.", False),
        (None, "anything at all", True),
    ],
)
def test_satisfies_type(kind: str | None, sentence: str, ok: bool) -> None:
    assert satisfies_type(kind, sentence) is ok


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("Who signed the joint statement?", "en"),
        ("Combien de prisonniers politiques l'Assemblée demande-t-elle de libérer ?", "fr"),
        ("Quanti prigionieri politici chiede di liberare l'Assemblea?", "it"),
        ("Et quand ?", "fr"),
    ],
)
def test_detect_lang(question: str, lang: str) -> None:
    assert detect_lang(question) == lang


def test_sentences_of_cuts_long_lists_at_semicolons_and_drops_headings() -> None:
    text = (
        "RESOLUTION 2616 (2025)\n\n"
        "At the same time, the Assembly expects progress, in particular: releasing 39 "
        "political prisoners, individuals targeted for their involvement in peaceful "
        "protests, civil society and anti-corruption activities, social media publications, "
        "or their support of peaceful opposition movements; fulfilling obligations to "
        "ensure freedom of political association and to stop the persecution of the "
        "peaceful political opposition movements, as recalled in the European Parliament "
        "Resolutions of 20 January 2022."
    )
    out = sentences_of(text, "en")
    assert not any(s.startswith("RESOLUTION") for s in out)
    assert len(out) == 2 and "39 political prisoners" in out[0] and "39" not in out[1]


def test_no_passages_is_not_answerable() -> None:
    verdict = assess("Who signed the joint statement?", [], embedder=None)
    assert not verdict.answerable and verdict.best_sentences == []


def test_lexical_gate_works_without_embedder() -> None:
    p = Passage(
        chunk_id="x",
        source="004.txt",
        text="Yerlan Sarsembayev is the Minister of Justice of Kazakhstan. Read more here.",
        score=0.5,
    )
    yes = assess("Who is the Minister of Justice of Kazakhstan?", [p], embedder=None)
    assert yes.answerable and yes.best_sentences[0][:2] == (0, p.text.split(". ")[0] + ".")
    no = assess("What is the currency of Kazakhstan?", [p], embedder=None)
    assert not no.answerable and "currency" in no.reason


def test_a_name_stated_elsewhere_in_the_same_document_counts(retrieved) -> None:  # type: ignore[no-untyped-def]
    # The Italian resolution names "Kazakistan" in its other paragraphs, not in the one
    # that answers; the same name in another document proves nothing about this one.
    q = "Quanti prigionieri politici l'Assemblea chiede al Kazakistan di rilasciare?"
    passages = retrieved(q)
    embedder = get_embedder(Settings())
    verdict = assess(q, passages, embedder=embedder)
    assert verdict.answerable and "39" in verdict.best_sentences[0][1]
    answering = passages[verdict.best_sentences[0][0]]
    assert "Kazakistan" not in answering.text
    elsewhere = [p if p is answering else replace(p, source="other.txt") for p in passages]
    verdict = assess(q, elsewhere, embedder=embedder)
    assert not verdict.answerable and "Kazakistan" in verdict.reason


# --------------------------------------------------------------------------- seeds


@pytest.mark.parametrize(("question", "fact", "seed"), ANSWERABLE)
def test_answerable_seed_questions(question: str, fact: str, seed: str, retrieved) -> None:  # type: ignore[no-untyped-def]
    passages = retrieved(question)
    verdict = assess(question, passages, embedder=get_embedder(Settings()))
    assert verdict.answerable, verdict.reason
    index, sentence, _ = verdict.best_sentences[0]
    assert fact in sentence, verdict.details
    # The sentence is quoted from its passage, and that passage is the right seed.
    assert passages[index].source.startswith(seed)
    assert all(w in passages[index].text for w in sentence.split()[:3])


@pytest.mark.parametrize("question", UNANSWERABLE)
def test_unanswerable_seed_questions(question: str, retrieved) -> None:  # type: ignore[no-untyped-def]
    verdict = assess(question, retrieved(question), embedder=get_embedder(Settings()))
    assert not verdict.answerable, verdict.details
    assert verdict.reason


def test_similarity_alone_cannot_separate_them(retrieved) -> None:  # type: ignore[no-untyped-def]
    """Why the gate exists: on-topic unanswerable questions reach cosines that answerable
    ones don't, so no threshold on the best cosine separates the two sets."""
    emb = get_embedder(Settings())
    yes = [assess(q, retrieved(q), embedder=emb).details["top_cosine"] for q, _, _ in ANSWERABLE]
    no = [assess(q, retrieved(q), embedder=emb).details["top_cosine"] for q in UNANSWERABLE]
    assert max(no) > min(yes)


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        (
            "Who is Zsolt Németh, and how did he characterise Kazakhstan's reforms?",
            ["Who is Zsolt Németh?", "How did he characterise Kazakhstan's reforms?"],
        ),
        (
            "In November 2025, when did Ashimbayev say the referendum would be held, and on "
            "what date did PACE later say the constitutional referendum took place?",
            [
                "In November 2025, when did Ashimbayev say the referendum would be held?",
                "On what date did PACE later say the constitutional referendum took place?",
            ],
        ),
        (
            "Chi è l'autore dell'articolo e quale carica ricopre?",
            ["Chi è l'autore dell'articolo?", "Quale carica ricopre?"],
        ),
        (
            "Qui a signé la déclaration et quand a-t-elle été publiée ?",
            ["Qui a signé la déclaration ?", "Quand a-t-elle été publiée ?"],
        ),
        # One question: "When and where", "and" inside a part, no second question word.
        ("When and where was the joint statement issued?", []),
        ("Who signed the statement for Kazakhstan and PACE?", []),
        ("Which resolutions on Kazakhstan and Europe does it recall?", []),
    ],
)
def test_compound_questions_are_split_into_their_questions(question: str, parts: list[str]) -> None:
    assert split_compound(question) == parts


SIGNED = (
    "The statement, signed by Kazakh Senate Chairperson Maulen Ashimbayev and PACE "
    "President Theodoros Roussopoulos, emphasized that democracy ... remain the foundations."
)
MET = "On the sidelines he met with Theodoros Roussopoulos, Alain Berset and Zsolt Németh."


@pytest.mark.parametrize(
    ("question", "answer", "quote", "lang", "expected"),
    [
        (
            "Who signed the joint statement?",
            "Maulen Ashimbayev signed the joint statement [1].",
            SIGNED,
            "en",
            ("Ashimbayev", " and PACE President Theodoros Roussopoulos"),
        ),
        (
            "Qui a signé la déclaration commune ?",
            "Maulen Ashimbayev a signé la déclaration [1].",
            "La déclaration, signée par Maulen Ashimbayev et Theodoros Roussopoulos, souligne ...",
            "fr",
            ("Ashimbayev", " et Theodoros Roussopoulos"),
        ),
        (
            "Who did the Senate Speaker meet with on the sidelines?",
            "He met with Alain Berset [1].",
            MET,
            "en",
            ("Berset", ", Theodoros Roussopoulos and Zsolt Németh"),
        ),
        # A member that is not a name ("PACE rapporteur Zsolt Németh" reads as "PACE"):
        # the list is left alone rather than cut.
        (
            "Who did he meet with?",
            "He met with Alain Berset [1].",
            "He met with Theodoros Roussopoulos, Alain Berset, and PACE rapporteur Zsolt Németh.",
            "en",
            None,
        ),
        # The answer names them all already.
        ("Who signed it?", "Ashimbayev and Roussopoulos signed it [1].", SIGNED, "en", None),
        # The list is not what the question asks about ("signed by", asked "president").
        ("Who is the PACE President?", "Theodoros Roussopoulos [1].", SIGNED, "en", None),
        # Not a "who" question.
        (
            "What did the statement emphasize?",
            "Democracy, says Ashimbayev [1].",
            SIGNED,
            "en",
            None,
        ),
        # A list of institutions, not people.
        (
            "Who reaffirmed their commitment?",
            "Kazakhstan did [1].",
            "Kazakhstan and the Parliamentary Assembly reaffirmed their commitment.",
            "en",
            None,
        ),
    ],
)
def test_people_a_source_names_together_with_the_answers(question, answer, quote, lang, expected):
    assert co_listed(question, answer, quote, lang) == expected


RECALLS = (
    "2. The Assembly recalls its Resolutions 1526 (2006) « Situation in Kazakhstan and "
    "relations with the Council of Europe » and 2193 (2017) « The relations of the Council "
    "of Europe with Kazakhstan » and reiterates its view."
)
RAPPELLE = (
    "2. L'Assemblée rappelle ses Résolutions 1526 (2006) « Situation au Kazakhstan et "
    "relations avec le Conseil de l'Europe » et 2193 (2017) « Les relations du Conseil de "
    "l'Europe avec le Kazakhstan » et réaffirme ..."
)


@pytest.mark.parametrize(
    ("question", "answer", "expected"),
    [
        (
            "Which earlier resolutions does Resolution 2616 refer to or recall?",
            "It refers to Resolution 1506 (2006) and Resolution 1526 (2006) [1][2].",
            ("1526 (2006)", " and 2193 (2017)"),
        ),
        (
            "Quelles résolutions antérieures la Résolution 2616 rappelle-t-elle ?",
            "Elle rappelle la Résolution 2193 (2017) [1].",
            ("2193 (2017)", " et 1526 (2006)"),
        ),
        # All of them named already; a question that does not ask "which".
        ("Which resolutions does it recall?", "1526 (2006) and 2193 (2017) [1].", None),
        ("When was Resolution 1526 (2006) adopted?", "In 2006, 1526 (2006) [1].", None),
    ],
)
def test_numbered_references_a_source_lists_together_with_the_answers(question, answer, expected):
    french = "rappelle" in question
    quote, lang = (RAPPELLE, "fr") if french else (RECALLS, "en")
    assert co_listed(question, answer, quote, lang) == expected


BERSET = (
    "On the sidelines of the session, he met with Roussopoulos, Council of Europe Secretary "
    "General Alain Berset, and PACE rapporteur on Kazakhstan Zsolt Németh."
)
PACE = {"PACE": "Parliamentary Assembly of the Council of Europe"}


@pytest.mark.parametrize(
    ("question", "answer", "quote", "expected"),
    [
        # The near miss: the source's Berset is the Council of Europe's Secretary General.
        (
            "Who is the Secretary General of the Parliamentary Assembly of the Council of Europe?",
            "The Secretary General of the PACE is Alain Berset [1].",
            BERSET,
            False,
        ),
        (
            "Who is the Secretary General of the Council of Europe?",
            "Alain Berset [1].",
            BERSET,
            True,
        ),
        # An acronym stands for its long form; one office word is enough ("Chairperson").
        (
            "Who is the President of the Parliamentary Assembly of the Council of Europe?",
            "Theodoros Roussopoulos [1].",
            SIGNED,
            True,
        ),
        ("Who is the Speaker of the Kazakh Senate?", "Maulen Ashimbayev [1].", SIGNED, True),
        # In "A's title A and B's title B" each has their own title.
        (
            "Who is the President of the Kazakh Senate?",
            "Theodoros Roussopoulos [1].",
            SIGNED,
            False,
        ),
        # The office after the name, in its own clause.
        (
            "Who is the Minister of Justice?",
            "Yerlan Sarsembayev [1].",
            "It was written by Yerlan Sarsembayev, the Minister of Justice, in Astana.",
            True,
        ),
        # The role is the noun phrase, without what follows it.
        (
            "Who was the Secretary General of the Council of Europe that met him in 2025?",
            "Alain Berset [1].",
            BERSET,
            True,
        ),
        # Measured (q038): a compound question, an office given as "rapporteur: Mr X", and
        # a role "of the report behind Resolution 2616" in that resolution's own footnote.
        (
            "Who was the rapporteur of the report behind Resolution 2616, and which "
            "committee prepared it?",
            "The rapporteur was Mr Zsolt Németh [1].",
            "(see Doc. 16245, report of the Committee on Political Affairs and Democracy, "
            "rapporteur: Mr Zsolt Németh).",
            True,
        ),
        # The office stated after the name.
        (
            "Who is the Minister of Justice of Kazakhstan?",
            "Yerlan Sarsembayev [1].",
            "Yerlan Sarsembayev is the Minister of Justice of Kazakhstan.",
            True,
        ),
        # Not a role holder question, or no new name in the answer: not judged.
        ("Who is Zsolt Németh?", "He is the PACE rapporteur [1].", BERSET, None),
        ("Who signed the statement?", "Maulen Ashimbayev [1].", SIGNED, None),
        ("Who is the Secretary General of the Council of Europe?", "He is [1].", BERSET, None),
    ],
)
def test_the_source_must_give_the_answers_person_the_role_asked_about(
    question, answer, quote, expected
):
    assert holds_role(question, answer, quote, "en", PACE) is expected


def test_acronyms_are_read_from_their_definition():
    text = "Kazakhstan and the Parliamentary Assembly of the Council of Europe (PACE) reaffirmed"
    assert acronyms(text) == PACE
    assert acronyms("the UN (United Nations) and (XYZ) nothing") == {}


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Which political party does he belong to?", "party"),
        ("Which Council of Europe group does the Assembly encourage Kazakhstan to join?", "group"),
        ("De quel groupe du Conseil de l'Europe l'Assemblée parle-t-elle ?", "group"),
        ("A quale partito appartiene?", "party"),
        ("In which city was the Congress held?", "city"),
        ("Dans quelle ville la déclaration a-t-elle été publiée ?", "city"),
        ("In quale città si è tenuto il Congresso?", "city"),
        # A verb or an article between "which" and the noun: no kind is asked.
        ("What did the committee recommend?", None),
        ("Which of the parties won?", None),
        ("Who was the rapporteur, and which committee prepared it?", None),
        ("When was the resolution adopted?", None),
    ],
)
def test_the_kind_of_thing_a_which_question_asks_for(question, kind):
    assert kind_asked(question) == kind


@pytest.mark.parametrize(
    ("kind", "answer", "quotes", "expected"),
    [
        (
            "party",
            "It is the Committee on Political Affairs and Democracy [1].",
            [
                "report of the Committee on Political Affairs and Democracy, rapporteur: "
                "Mr Zsolt Németh"
            ],
            False,
        ),
        (
            "party",
            "It is Alga Kazakhstan [1].",
            ["refusal to register the peaceful opposition party « Alga Kazakhstan »"],
            True,
        ),
        (
            "party",
            "È Alga Kazakhstan [1].",
            ["il partito di opposizione « Alga Kazakhstan »"],
            True,
        ),
        ("city", "It was held in Kazakhstan [1].", [], False),
        ("city", "Si è tenuto in Kazakistan [1].", [], False),
        ("city", "It was held in the Republic of Kazakhstan [1].", [], False),
        ("city", "It was issued on Sept. 30 in Strasbourg [1].", [], True),
        ("city", "Elle a été publiée à Strasbourg [1].", [], True),
        # No place named: not judged here.
        ("city", "It was held on 15 March [1].", [], None),
        (None, "Anything [1].", [], None),
    ],
)
def test_the_answer_must_name_a_thing_of_the_kind_asked(kind, answer, quotes, expected):
    assert names_kind(kind, "In which city or party was it?", answer, quotes) is expected
