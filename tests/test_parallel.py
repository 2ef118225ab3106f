"""Parallel texts: translations linked at ingest, one of them retrieved (rag.parallel)."""

from __future__ import annotations

from rag.chunking import chunk_document
from rag.ingest.loaders import build_document
from rag.ingest.normalize import Block
from rag.parallel import collapse
from rag.retrieve import retrieve
from rag.sync import sync_corpus
from rag.types import Chunk, Document, Passage

EN = [
    "1. The council approved the new harbour budget after a long debate in the spring session.",
    "2. The council asks the city to repair the old bridge before the winter storms arrive. "
    "It also expects a report on the state of the river banks every year from now on. "
    "Finally, the council wants the museum to open on Sundays during the summer months.",
]
FR = [
    "1. Le conseil a approuvé le nouveau budget du port après un long débat lors de la session "
    "de printemps.",
    "2. Le conseil demande à la ville de réparer le vieux pont avant l'arrivée des tempêtes "
    "d'hiver. Il attend aussi un rapport sur l'état des berges de la rivière chaque année "
    "désormais. Enfin, le conseil souhaite que le musée ouvre le dimanche pendant les mois d'été.",
]
IT = [
    "1. Il consiglio ha approvato il nuovo bilancio del porto dopo un lungo dibattito nella "
    "sessione di primavera.",
    "2. Il consiglio chiede alla città di riparare il vecchio ponte prima dell'arrivo delle "
    "tempeste invernali. Si aspetta anche una relazione annuale sullo stato delle rive del "
    "fiume. Infine, il consiglio vuole che il museo apra la domenica durante i mesi estivi.",
]


def _doc(*sections: list[str]) -> Document:
    return build_document("council.txt", [Block(t) for s in sections for t in s])


def _by_lang(chunks: list[Chunk], lang: str) -> list[Chunk]:
    return [c for c in chunks if c.lang == lang]


def test_translations_of_one_numbered_paragraph_are_linked_and_nothing_else():
    chunks = chunk_document(_doc(EN, FR, IT))
    assert {c.lang for c in chunks} == {"en", "fr", "it"}
    ids = {c.id: c for c in chunks}
    for c in chunks:
        linked = [ids[t] for t in c.translations]
        assert {t.lang for t in linked} == {"en", "fr", "it"} - {c.lang}
        assert all(set(t.labels) & set(c.labels) for t in linked)
        assert all(c.id in t.translations for t in linked)  # links go both ways


def test_pieces_of_a_long_paragraph_link_to_the_same_part_of_its_translation():
    chunks = chunk_document(_doc(EN, FR), max_tokens=30)
    en2, fr2 = ([c for c in _by_lang(chunks, lang) if c.labels == ("2",)] for lang in ("en", "fr"))
    assert len(en2) >= 3 and len(fr2) >= 3
    first, last = en2[0], en2[-1]
    assert fr2[0].id in first.translations and fr2[-1].id not in first.translations
    assert fr2[-1].id in last.translations and fr2[0].id not in last.translations


def test_a_monolingual_document_and_an_ambiguous_label_link_nothing():
    assert not any(c.translations for c in chunk_document(_doc(EN)))
    # "1." twice in English (two numbered lists), once in French: no guess.
    twice = [EN[0], "1. A second list starts here and says something else entirely."]
    chunks = chunk_document(_doc(twice, FR[:1]))
    assert not any(c.translations for c in chunks)


def _p(cid: str, lang: str, *translations: str) -> Passage:
    return Passage(cid, "council.txt", cid, 0.5, lang=lang, translations=translations)


def test_collapse_keeps_one_passage_per_paragraph_in_the_question_language():
    en1, fr1, it1 = (
        _p("en1", "en", "fr1", "it1"),
        _p("fr1", "fr", "en1", "it1"),
        _p("it1", "it", "en1", "fr1"),
    )
    other = _p("en2", "en")
    assert [p.chunk_id for p in collapse([en1, fr1, other, it1], lang="it")] == ["it1", "en2"]
    assert [p.chunk_id for p in collapse([en1, fr1, other, it1], lang="en")] == ["en1", "en2"]
    assert [p.chunk_id for p in collapse([fr1, en1], lang="de")] == ["fr1"]
    assert [p.chunk_id for p in collapse([en1, fr1])] == ["en1"]


def test_collapse_keeps_a_passage_that_shares_only_a_label_with_a_kept_one():
    # it_a translates en_a; it_b is another part of the same paragraph: both stay.
    en_a, it_a, it_b = _p("en_a", "en", "it_a"), _p("it_a", "it", "en_a"), _p("it_b", "it")
    assert [p.chunk_id for p in collapse([en_a, it_b, it_a], lang="it")] == ["it_a", "it_b"]


def test_retrieval_spends_no_passage_on_a_translation(make_settings):
    text = "\n\n".join(EN + FR + IT)
    settings = make_settings({"council.txt": text, "other.txt": "Bees make honey in summer."})
    sync_corpus(settings)
    question = "Le conseil veut-il ouvrir le musée le dimanche ?"
    passages = retrieve(question, settings, k=4, lang="fr")
    paragraphs = [p for p in passages if p.source == "council.txt"]
    assert paragraphs and paragraphs[0].lang == "fr" and "musée" in paragraphs[0].text
    assert paragraphs[0].translations  # the links travel with the passage
    linked = {t for p in passages for t in p.translations}
    assert not any(p.chunk_id in linked for p in passages)
    best = retrieve(question, settings, k=4)  # no language given: the best ranked one
    assert not any(p.chunk_id in {t for q in best for t in q.translations} for p in best)
