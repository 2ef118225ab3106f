"""Contextual compression of the LLM's passages (rag.context)."""

from __future__ import annotations

from rag.chunking import count_tokens
from rag.context import PASSAGE_OVERHEAD_TOKENS, compress
from rag.types import Passage

A = "First fact about bridges. Second fact about tunnels. Third fact about roads."
B = "The harbour handles 3 million containers. It opened in 1999."
P = [Passage("a", "a.txt", A, 0.9), Passage("b", "b.txt", B, 0.8)]


def test_keeps_best_sentences_in_document_order_with_gaps_marked():
    ranked = [(0, "Third fact about roads.", 0.9), (0, "First fact about bridges.", 0.8)]
    out = compress(P, ranked, 1000)
    assert [p.chunk_id for p in out] == ["a"]  # b had nothing chosen: dropped
    assert out[0].text == "First fact about bridges. … Third fact about roads."


def test_adjacent_sentences_join_without_a_gap_marker():
    ranked = [(0, "Second fact about tunnels.", 0.9), (0, "First fact about bridges.", 0.8)]
    text = compress(P, ranked, 1000)[0].text
    assert text == "First fact about bridges. Second fact about tunnels."


def test_budget_counts_sentences_and_one_wrapper_per_passage():
    ranked = [
        (1, "The harbour handles 3 million containers.", 0.9),
        (0, "First fact about bridges.", 0.8),
        (1, "It opened in 1999.", 0.7),
    ]
    first = count_tokens(ranked[0][1]) + PASSAGE_OVERHEAD_TOKENS
    out = compress(P, ranked, first)  # room for the best sentence only
    assert [(p.chunk_id, p.text) for p in out] == [
        ("b", "The harbour handles 3 million containers.")
    ]
    # Ordered by best kept sentence, not by retrieval rank: b holds the best one.
    assert [p.chunk_id for p in compress(P, ranked, 10_000)] == ["b", "a"]


def test_best_sentence_is_kept_even_over_budget_and_unknown_ones_ignored():
    ranked = [
        (5, "Not a passage.", 1.0),
        (0, "Not in the text.", 0.9),
        (0, "First fact about bridges.", 0.5),
    ]
    out = compress(P, ranked, 1)
    assert [p.text for p in out] == ["First fact about bridges."]


def test_rank_sentences_puts_the_answering_sentence_first(embedder):
    from rag.context import rank_sentences

    passages = [
        Passage("a", "a.txt", "The bridge was painted red. Tourists like the view.", 0.5),
        Passage("b", "b.txt", "The harbour opened in 1999. It handles containers.", 0.4),
    ]
    ranked = rank_sentences([("When did the harbour open?", "en")], passages, embedder)
    assert ranked[0][:2] == (1, "The harbour opened in 1999.")
    assert len(ranked) == 4 and ranked[0][2] > ranked[-1][2]


def test_rank_sentences_reads_every_wording_of_the_question(embedder):
    from rag.context import rank_sentences

    passages = [Passage("a", "a.txt", "Bread is baked at dawn. The mill grinds wheat.", 0.5)]
    asked = [("Quand le pain est-il cuit ?", "fr")]
    both = [*asked, ("When is the bread baked?", "en")]
    assert rank_sentences(both, passages, embedder)[0][1] == "Bread is baked at dawn."


def test_rank_sentences_skips_a_passage_without_a_sentence(embedder):
    from rag.context import rank_sentences

    passages = [
        Passage("a", "a.txt", "* * *", 0.5),  # no word at all: nothing to rank
        Passage("b", "b.txt", "The harbour opened in 1999.", 0.4),
    ]
    ranked = rank_sentences([("When did the harbour open?", "en")], passages, embedder)
    assert [(i, s) for i, s, _ in ranked] == [(1, "The harbour opened in 1999.")]


def test_a_question_in_a_passage_is_ranked_and_kept_with_its_reply(embedder):
    from rag.context import rank_sentences

    faq = (
        "Q: Can visitors park at the museum? A: No. The nearest car park is on Quay Street. "
        "Q: Is there a cloakroom? A: Yes, by the entrance."
    )
    passages = [Passage("f", "faq.txt", faq, 0.5)]
    ranked = rank_sentences([("Can I park at the museum?", "en")], passages, embedder)
    best = ranked[0][1]
    assert (
        best == "Q: Can visitors park at the museum? A: No. The nearest car park is on Quay Street."
    )
    kept = compress(passages, ranked, count_tokens(best) + PASSAGE_OVERHEAD_TOKENS)
    assert kept[0].text == best  # the reply comes with the question, within the budget


def test_with_replies_joins_a_run_of_questions_to_the_reply_after_it():
    from rag.context import with_replies

    text = "Is it free? Is it open? It opens at nine and costs nothing. Bring a coat."
    units = ["Is it free?", "Is it open?", "It opens at nine and costs nothing.", "Bring a coat."]
    assert with_replies(text, units) == [text[: text.index(" Bring")], "Bring a coat."]
    assert with_replies("Why?", ["Why?"]) == ["Why?"]  # a question nothing follows stays
