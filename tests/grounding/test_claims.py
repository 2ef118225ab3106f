"""Structured replies (rag.grounding.claims): schema, parsing, rendering, streaming."""

from __future__ import annotations

import json
import random

import pytest

from rag.grounding.claims import (
    MAX_CLAIMS,
    Claim,
    ClaimStream,
    parse,
    render,
    scaffold,
    schema,
)


def test_schema_allows_only_the_numbers_of_the_sources_shown():
    s = schema(3)
    item = s["properties"]["claims"]["items"]
    assert item["properties"]["source"]["enum"] == [1, 2, 3]
    assert list(item["properties"]) == ["source", "text"]  # evidence chosen before wording
    assert s["properties"]["claims"]["maxItems"] == MAX_CLAIMS
    assert schema(2, min_claims=1)["properties"]["claims"]["minItems"] == 1


def test_parse_reads_claims_and_skips_broken_items():
    reply = json.dumps(
        {"claims": [{"source": 2, "text": " Signed in Strasbourg. "}, {"source": "x"}, "junk"]}
    )
    assert parse(reply) == [Claim(2, "Signed in Strasbourg.")]
    assert parse('{"claims": []}') == []


@pytest.mark.parametrize("reply", ["The documents don't say.", '{"answer": "x"}', "[1, 2]"])
def test_parse_gives_none_for_a_reply_that_is_not_the_structure(reply):
    assert parse(reply) is None


def test_parse_accepts_a_fenced_reply():
    assert parse('```json\n{"claims": [{"source": 1, "text": "A."}]}\n```') == [Claim(1, "A.")]


def test_render_closes_each_sentence_with_its_marker_and_drops_written_markers():
    text = render([Claim(1, "It was signed in Strasbourg [3]."), Claim(2, "Two people signed")])
    assert text == "It was signed in Strasbourg [1]. Two people signed [2]."


def test_stream_shows_only_the_text_values_as_they_arrive():
    reply = json.dumps(
        {"claims": [{"source": 1, "text": 'He said "no" \\ twice.'}, {"source": 2, "text": "B."}]}
    )
    stream = ClaimStream()
    shown = "".join(part for i in range(0, len(reply), 3) for part in stream.feed(reply[i : i + 3]))
    assert shown == 'He said "no" \\ twice. B.'
    assert stream.raw == reply


def test_a_reply_cut_off_by_the_token_limit_keeps_its_complete_claims():
    whole = {"source": 1, "text": "The law introduces criminal liability."}
    reply = json.dumps({"claims": [whole, {"source": 2, "text": "It also"}]})
    cut = reply[: reply.index("It also") + 4]
    assert parse(cut) == [Claim(1, "The law introduces criminal liability.")]
    assert parse('{"claims": [{"source": 1, "te') == []  # nothing whole yet: no claims


def test_the_same_claim_from_several_sources_is_one_claim():
    same = "The Assembly deplores the surveillance infrastructure."
    reply = json.dumps({"claims": [{"source": n, "text": same} for n in (2, 1, 3)]})
    assert parse(reply) == [Claim(2, same)]


# Characters that look like the structure when they sit inside a text value.
_TEXT_CHARS = ["a", " ", '"', "\\", "[", "{", ",", ":", "1", "9", "source", "text", "é", "\n"]


def _grammar_reply(rng: random.Random, n_sources: int) -> str:
    """A reply the schema's llama.cpp grammar accepts, with its optional spaces chosen at
    random (the grammar's ``space ::= " "?``)."""

    def sp() -> str:
        return rng.choice(["", " "])

    out = "{" + sp() + '"claims"' + sp() + ":" + sp() + "[" + sp()
    for i in range(rng.randint(0, MAX_CLAIMS)):
        text = "".join(rng.choice(_TEXT_CHARS) for _ in range(rng.randint(0, 12)))
        out += ("," + sp()) if i else ""
        out += "{" + sp() + '"source"' + sp() + ":" + sp() + str(rng.randint(1, n_sources))
        out += "," + sp() + '"text"' + sp() + ":" + sp() + json.dumps(text) + sp() + "}" + sp()
    return out + "]" + sp() + "}" + sp()


def _without_spaces(text: str, n: int) -> str:
    """The first ``n`` characters of ``text`` that are not spaces."""
    return "".join(ch for ch in text if ch != " ")[:n]


def test_the_scaffold_only_writes_what_every_valid_reply_goes_on_with():
    """At every point of many valid replies, the written text is what the reply itself
    goes on with (up to the optional spaces), never text inside a string value."""
    rng = random.Random(7)
    written = {"opening": 0, "source key": 0, "text key": 0}
    for _ in range(400):
        n = rng.choice([1, 3, 8, 12])
        reply = _grammar_reply(rng, n)
        assert parse(reply) is not None
        nxt = scaffold(n)
        for cut in range(len(reply)):
            forced = nxt(reply[:cut])
            if not forced:
                continue
            bare = forced.replace(" ", "")
            assert _without_spaces(reply[cut:], len(bare)) == bare, (reply, cut, forced)
            written[{"{": "opening", "s": "source key", ",": "text key"}[forced[0]]] += 1
    assert all(count > 100 for count in written.values()), written


def test_a_source_number_that_could_grow_is_left_to_the_model():
    assert scaffold(12)('{"claims": [{"source": 1') == ""  # 1 or 10, 11, 12
    assert scaffold(12)('{"claims": [{"source": 2') == ', "text": "'
    assert scaffold(9)('{"claims": [{"source": 1') == ', "text": "'
