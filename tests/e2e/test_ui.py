"""The chat UI in a real headless Chromium, and its API through gradio_client.

One server for the session (extractive backend over a copy of seeds/); each test opens a
fresh browser context, so its localStorage (the kept chat) starts empty.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

PRISONERS = "How many political prisoners does the Assembly want released?"
ANSWER_TIMEOUT = 120_000  # the first question loads the embedding model

TREATY = """The Zorblax Fisheries Treaty

The Zorblax Fisheries Treaty was signed in Quito on 3 May 2024 by the fisheries ministers \
of Peru and Chile.

<script>window.__pwned = 1</script> The Zorblax annex is published at \
[the annex](http://evil.example/annex) and <b>nowhere</b> else.
"""


def ask(page: Page, question: str) -> None:
    """Type a question, send it and wait until its final answer (or error) is shown."""
    done = page.locator("#chat .meta, #chat .answer.error")
    before = done.count()
    box = page.locator("#q textarea")
    box.fill(question)
    box.press("Enter")
    expect(done).to_have_count(before + 1, timeout=ANSWER_TIMEOUT)


def last_answer(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("#chat .answer").last


def test_chip_opens_its_passage_with_the_quote_highlighted(page: Page, ui_url, output_path):
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(ui_url)
    ask(page, PRISONERS)
    bubble = last_answer(page)
    assert "39" in bubble.inner_text()
    chips = bubble.locator(".cite")
    expect(chips.first).to_have_text("1")
    assert [c.inner_text() for c in chips.all()] == [str(i) for i in range(1, chips.count() + 1)]
    assert "[" not in bubble.inner_text()  # markers became chips
    expect(page.locator("#stop")).to_be_disabled()  # Stop only while an answer streams
    expect(page.locator("#send")).to_be_enabled()

    chips.first.click()
    active = page.locator("#sources .passage.active")
    expect(active).to_have_count(1)
    expect(active).to_be_in_viewport()
    expect(active.locator(".title")).to_have_text("Resolution 2616 (2025)")
    expect(active.locator("mark")).to_contain_text("39 political prisoners")
    assert "§5" in active.locator(".facts").inner_text()
    french = active.locator(".translation[lang='fr']")
    expect(french).to_be_hidden()  # folded: one click away
    active.locator(".translations summary").click()
    expect(french).to_contain_text("39 prisonniers politiques")
    Path(output_path).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(output_path) / "chip-and-sources.png"))


def test_abstention_is_distinct_and_shows_the_closest_passages(page: Page, ui_url):
    page.goto(ui_url)
    ask(page, "Who won the 2022 FIFA World Cup?")
    bubble = last_answer(page)
    expect(bubble).to_have_class(re.compile(r"\babstained\b"))
    expect(bubble.locator(".abstained-label")).to_have_text("Not in the documents")
    assert bubble.locator(".cite").count() == 0
    bubble.locator(".show-sources").click()
    section = page.locator("#sources .sources-turn:not([hidden])")
    expect(section.locator("h3")).to_contain_text("Closest passages")
    assert section.locator(".passage").count() >= 1


def test_reload_keeps_the_chat_and_clear_empties_it(page: Page, ui_url):
    page.goto(ui_url)
    ask(page, PRISONERS)
    page.reload()
    expect(page.locator("#chat .cite").first).to_be_visible(timeout=30_000)
    expect(page.locator("#sources .passage.cited")).to_have_count(1)
    page.locator("#chat .cite").first.click()
    expect(page.locator("#sources .passage.active mark")).to_contain_text("39 political")

    page.locator("#clear").click()
    expect(page.locator("#chat .answer")).to_have_count(0)
    page.reload()
    page.locator("#q textarea").wait_for()
    page.wait_for_timeout(1500)  # give a (wrong) restore the time to show up
    expect(page.locator("#chat .answer")).to_have_count(0)

    ask(page, PRISONERS)  # the chat's own trash button forgets the chat too
    page.locator("#chat button[aria-label='Clear']").click()
    expect(page.locator("#chat .answer")).to_have_count(0)
    # The clear event goes through the server's queue before the browser stores the
    # emptied chat: on a loaded machine a reload right away raced it (seen in CI-like runs).
    page.wait_for_timeout(3000)
    page.reload()
    page.locator("#q textarea").wait_for()
    page.wait_for_timeout(1500)
    expect(page.locator("#chat .answer")).to_have_count(0)


def test_an_uploaded_document_is_answerable_at_once_and_rendered_inert(
    page: Page, ui_server, tmp_path, output_path
):
    doc = tmp_path / "zorblax treaty.txt"
    doc.write_text(TREATY, encoding="utf-8")
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(ui_server.url)
    page.locator("#upload input[type=file]").set_input_files(str(doc))
    expect(page.locator("#upload-status")).to_contain_text(
        "uploads/zorblax_treaty.txt", timeout=ANSWER_TIMEOUT
    )
    expect(page.locator("#docs")).to_contain_text("zorblax_treaty.txt")
    assert (ui_server.corpus_dir / "uploads" / "zorblax_treaty.txt").is_file()

    ask(page, "Where was the Zorblax Fisheries Treaty signed?")
    bubble = last_answer(page)
    assert "Quito" in bubble.inner_text()
    bubble.locator(".cite").first.click()
    active = page.locator("#sources .passage.active")
    expect(active.locator(".title")).to_have_text("The Zorblax Fisheries Treaty")
    expect(active.locator(".file")).to_have_text("uploads/zorblax_treaty.txt")

    ask(page, "Where is the Zorblax annex published?")
    for where in ("#chat", "#sources"):
        assert page.locator(f"{where} script, {where} a[href*='evil'], {where} b").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert "[the annex](http://evil.example/annex)" in page.locator("#sources").inner_text()
    Path(output_path).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(output_path) / "upload-inert.png"))

    page.locator("#doc-pick input").click()
    page.get_by_role("option", name="uploads/zorblax_treaty.txt").click()
    page.locator("#remove").click()
    expect(page.locator("#upload-status")).to_contain_text("Removed uploads/zorblax_treaty.txt")
    expect(page.locator("#docs")).not_to_contain_text("zorblax_treaty.txt")
    assert not (ui_server.corpus_dir / "uploads" / "zorblax_treaty.txt").exists()


def test_feedback_is_logged_without_the_api_key(page: Page, ui_server):
    log = ui_server.data_dir / "feedback.jsonl"
    before = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    page.goto(ui_server.url)
    ask(page, PRISONERS)
    page.locator("#comment textarea").fill("Right number, good quote.")
    page.locator("#chat button[aria-label='Dislike']").last.click()
    expect(page.locator("#notice")).to_contain_text("feedback was saved")
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(before) + 1
    record = json.loads(lines[-1])
    assert record["liked"] is False
    assert record["comment"] == "Right number, good quote."
    assert record["question"] == PRISONERS
    assert "39" in record["answer"]
    assert record["citations"][0]["source"] == "003_8055ac30947230f7.txt"
    assert record["backend"] == "extractive"
    assert "total" in record["timings"]
    assert ui_server.api_key not in log.read_text(encoding="utf-8")


def test_api_returns_the_answer_as_a_dict(ui_url):
    from gradio_client import Client

    result = Client(ui_url, verbose=False).predict(PRISONERS, api_name="/ask")
    assert "39" in result["text"]
    assert result["citations"][0]["source"] == "003_8055ac30947230f7.txt"
    error = Client(ui_url, verbose=False).predict("  ", api_name="/ask")
    assert "empty" in error["error"]


def test_api_upload_indexes_a_file_and_refuses_bad_ones(ui_url, tmp_path):
    from gradio_client import Client, handle_file

    good = tmp_path / "glorp.md"
    good.write_text("# Glorp Accord\n\nThe Glorp Accord sets the tuna quota at 812 tonnes.\n")
    bad = tmp_path / "tool.exe"
    bad.write_bytes(b"MZ\x90\x00")
    client = Client(ui_url, verbose=False)
    result = client.predict([handle_file(good), handle_file(bad)], api_name="/upload")
    assert result["added"] == ["uploads/glorp.md"]
    assert result["refused"][0][0] == "tool.exe"
    assert "unsupported file type .exe" in result["refused"][0][1]
    answer = client.predict("What tuna quota does the Glorp Accord set?", api_name="/ask")
    assert "812" in answer["text"]
    assert answer["citations"][0]["source"] == "uploads/glorp.md"


def test_a_chip_of_an_earlier_answer_shows_that_answer_s_sources(page: Page, ui_url):
    page.goto(ui_url)
    ask(page, "Who proposed a transition to a unicameral Parliament in Kazakhstan?")
    # Standalone: this test is about the sources panel, not about the extractive mode's
    # reading of follow-ups.
    ask(page, "How and when will the final decision on a unicameral Parliament be made?")
    answers = page.locator("#chat .answer")
    assert "2027" in answers.nth(1).inner_text()
    shown = page.locator("#sources .sources-turn:not([hidden])")
    expect(shown).to_have_attribute("data-turn", "1")  # the latest answer's sources

    answers.nth(0).locator(".cite").first.click()
    expect(shown).to_have_attribute("data-turn", "0")
    expect(shown.locator(".passage.active")).to_have_count(1)
    expect(shown.locator(".passage.active mark")).to_contain_text("Tokayev")
    answers.nth(1).locator(".cite").first.click()
    expect(shown).to_have_attribute("data-turn", "1")
    expect(shown.locator(".passage.active mark")).to_contain_text("2027")


def test_index_facts_and_documents_are_listed(page: Page, ui_url):
    page.goto(ui_url)
    facts = page.locator("#facts")
    expect(facts).to_contain_text(re.compile(r"\d+ documents, \d+ chunks; languages en, fr, it"))
    expect(facts).to_contain_text("all-MiniLM-L6-v2")
    expect(page.locator("#docs")).to_contain_text("Resolution 2616 (2025)")
    expect(page.locator("#docs")).to_contain_text("003_8055ac30947230f7.txt")


def test_session_settings_change_the_passages_and_name_the_backend(page: Page, ui_url):
    page.goto(ui_url)
    number = page.locator("#topk input[type=number]")
    number.fill("2")
    number.press("Enter")
    ask(page, PRISONERS)
    expect(page.locator("#sources .sources-turn:not([hidden]) .passage")).to_have_count(2)
    expect(last_answer(page).locator(".meta")).to_contain_text("answered by extractive")


def test_a_question_the_pipeline_refuses_ends_in_one_clear_message(page: Page, ui_url):
    page.goto(ui_url)
    ask(page, "why " * 1000)
    error = page.locator("#chat .answer.error").last
    expect(error).to_contain_text("tokens long; the limit is")
    assert "Traceback" not in page.locator("#chat").inner_text()
