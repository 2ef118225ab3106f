"""The chat UI in a real headless Chromium, and its API through gradio_client."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

PRISONERS = "How many political prisoners does the Assembly want released?"


def test_chat_answers_with_numbered_sources(page, ui_url):
    page.goto(ui_url)
    box = page.locator("#q textarea")
    box.fill(PRISONERS)
    box.press("Enter")
    bot = page.locator("#chat .message.bot, #chat [data-testid='bot']").last
    bot.get_by_text("Sources").wait_for(timeout=120_000)
    text = bot.inner_text()
    assert "39" in text
    assert "003_8055ac30947230f7.txt" in text
    assert "§5" in text


def test_chat_says_when_the_documents_do_not_say(page, ui_url):
    page.goto(ui_url)
    box = page.locator("#q textarea")
    box.fill("Who won the 2022 FIFA World Cup?")
    box.press("Enter")
    bot = page.locator("#chat .message.bot, #chat [data-testid='bot']").last
    bot.get_by_text("don't say").wait_for(timeout=120_000)


def test_api_returns_the_answer_as_a_dict(ui_url):
    from gradio_client import Client

    result = Client(ui_url, verbose=False).predict(PRISONERS, api_name="/ask")
    assert "39" in result["text"]
    assert result["citations"][0]["source"] == "003_8055ac30947230f7.txt"
    error = Client(ui_url, verbose=False).predict("  ", api_name="/ask")
    assert "empty" in error["error"]
