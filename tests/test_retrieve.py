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


def _small_reports(n: int) -> dict[str, str]:
    """``n`` one-paragraph reports sharing words in many combinations, and five texts on
    other subjects that use a town's name, so the dense and BM25 rankings of a question
    disagree far down their lists."""
    towns = ["Arlen", "Bresk", "Corva", "Dunmoor", "Elsby", "Farrow", "Galt"]
    things = ["bridges", "ferries", "schools", "wells", "mills", "clinics", "roads"]
    verbs = ["repaired", "closed", "inspected", "built", "sold", "moved", "counted"]
    reports = {
        f"r{i:03d}.txt": (
            f"In {1990 + i % 30} the council of {towns[i % 7]} {verbs[i * 3 % 7]} "
            f"{i % 11 + 2} {things[i * 5 % 7]} near the {things[i * 2 % 7][:-1]} of "
            f"{towns[(i + 3) % 7]}."
        )
        for i in range(n)
    }
    others = [
        "Arlen pastry recipe: fold the butter twice and rest the dough overnight before baking.",
        "A song about Corva and the sea, sung at weddings with two fiddles and a drum.",
        "Galt is also a surname; the Galt family ran a bakery until the owner retired.",
        "Farrow describes a litter of piglets; the word is used by farmers everywhere.",
        "Dunmoor tartan uses green and blue threads woven in a simple twill pattern.",
    ]
    return reports | {f"x{i}.txt": text for i, text in enumerate(others)}


def test_retrieval_fuses_each_list_deep_enough_to_rank_as_the_whole_lists_would(make_settings):
    """With no more chunks than the fusion depth, the k best are those of reciprocal-rank
    fusion over the complete dense and BM25 rankings: no chunk is ranked by one list only
    because the other's cut-off left it out (at a depth of 40, the first three questions
    ranked otherwise)."""
    from rag.parallel import collapse

    settings = make_settings(_small_reports(75))
    sync_corpus(settings)
    index = open_index(settings)
    everything = index.count()
    assert everything == 80
    lex = lexical_index(index)
    for question in [
        "Which wells were repaired in Elsby?",
        "Which ferries were repaired in Farrow?",
        "Which mills were repaired in Galt?",
        "How many schools were closed in Corva?",
        "ferries moved by Dunmoor in 2005",
    ]:
        dense = index.query(index.embedder.embed([question])[0], everything)
        lists = [[p.chunk_id for p in dense], [c for c, _ in lex.search(question, everything)]]
        if lex.sentences is not None:
            lists.append([c for c, _ in lex.sentences.search(question, everything)])
        by_id = {p.chunk_id: p for p in dense}
        whole = dedupe(collapse([by_id[c] for c in fuse(*lists)], None), 8)
        got = retrieve(question, settings, k=8)
        assert [p.chunk_id for p in got] == [p.chunk_id for p in whole], question
