"""Hybrid retrieval over the real seed index."""

from __future__ import annotations

from rag.index import open_index
from rag.lexical import lexical_index, query_terms
from rag.retrieve import dedupe, fuse, retrieve
from rag.sync import sync_corpus
from rag.types import Passage


def test_fuse_ranks_items_found_by_both_lists_first():
    assert fuse(["a", "b"], ["b", "c"]) == ["b", "a", "c"]
    assert fuse([], ["x"]) == ["x"]


def test_dedupe_drops_overlapping_neighbours_of_the_same_source():
    a = Passage("1", "f.txt", "x", 0.9, start=0, end=900)
    b = Passage("2", "f.txt", "y", 0.8, start=850, end=1000)  # shares 50 of its 150 chars
    c = Passage("3", "f.txt", "z", 0.7, start=100, end=400)  # entirely inside a
    d = Passage("4", "g.txt", "w", 0.6, start=100, end=400)  # other file
    assert [p.chunk_id for p in dedupe([a, b, c, d], 5)] == ["1", "2", "4"]


def test_query_terms_drop_stop_words_of_every_language():
    assert "the" not in query_terms("Who signed the statement?")
    assert "sign" in query_terms("Who signed the statement?")
    assert "2616" in query_terms("Résolution 2616")


def test_top_passage_for_the_prisoners_question_is_resolution_paragraph_5(seed_settings):
    passages = retrieve(
        "How many political prisoners does the Assembly want released?", seed_settings
    )
    assert len(passages) == seed_settings.top_k
    assert any("39 political prisoners" in p.text for p in passages[:2])
    assert all(-1.0 <= p.score <= 1.0 for p in passages)


def test_bm25_finds_a_rare_exact_term(seed_settings):
    hits = lexical_index(open_index(seed_settings)).search("Pompidou Group", 3)
    texts = open_index(seed_settings).get([cid for cid, _ in hits])
    assert texts and "Pompidou" in texts[0].text


def test_lexical_index_follows_the_corpus(make_settings):
    settings = make_settings({"a.txt": "The zeppelin hangar was demolished."})
    sync_corpus(settings)
    assert retrieve("zeppelin", settings)[0].source == "a.txt"
    (settings.corpus_dir / "b.txt").write_text("A quokka lives on Rottnest Island.")
    sync_corpus(settings)
    top = lexical_index(open_index(settings)).search("quokka", 2)
    assert top and open_index(settings).get([top[0][0]])[0].source == "b.txt"


def test_sentence_index_ranks_each_chunk_by_its_best_sentence_once():
    from rag.lexical import LexicalIndex, terms

    docs = [
        ("long", "Council members met. The budget grew. Parliament debated."),
        ("long", "Kazakhstan was a member of the Human Rights Council from 2022 to 2024."),
        ("short", "Council of Europe members met in Strasbourg."),
    ]
    index = LexicalIndex([cid for cid, _ in docs], [terms(t, "en") for _, t in docs])
    hits = index.search("member of the Human Rights Council", 5)
    assert [cid for cid, _ in hits] == ["long", "short"]  # each chunk once, at its best


# One long chunk holds the answer in one sentence among others; five short chunks share
# the question's topic words but not the answer. Whole-chunk BM25 and the embedding favour
# the short ones; the sentence list ranks the long chunk by its best sentence.
LONG_CHUNK = {
    "minutes.txt": "The committee reviewed the fishing quotas for the northern coast. "
    "Members discussed the new harbour fees and the winter ferry timetable. "
    "A report on school transport was postponed to the next session. "
    "The archive confirms that the Varno treaty was ratified by the council in 1817. "
    "The meeting closed with a vote on the library budget and the museum roof repairs.",
    **{
        f"treaty{i}.txt": f"The Varno treaty is discussed in chapter {i} of the history book."
        for i in range(1, 6)
    },
}


def test_an_answer_sentence_inside_a_long_chunk_is_retrieved(make_settings):
    settings = make_settings(LONG_CHUNK)
    sync_corpus(settings)
    asked = "When was the Varno treaty ratified by the council?"
    top = [p.source for p in retrieve(asked, settings, k=3)]
    assert "minutes.txt" in top
