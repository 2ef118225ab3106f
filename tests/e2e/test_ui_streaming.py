"""Streaming in the browser with a real llama.cpp model: the draft is shown as being
checked, then replaced by the verified answer, and the draft's provisional markers are
never shown as numbers."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.llm]

# Records, from the page itself, what the chat showed while the answer streamed.
WATCH = """
() => {
  window.__drafts = [];
  window.__t0 = performance.now();
  new MutationObserver(() => {
    const d = document.querySelector('#chat .answer.streaming');
    const text = d ? (d.querySelector('p') || {}).textContent || '' : '';
    if (text.trim() && d.querySelector('.checking')) {
      window.__drafts.push({ms: performance.now() - window.__t0, text: d.textContent});
    }
  }).observe(document.querySelector('#chat'), {subtree: true, childList: true,
                                               characterData: true});
}
"""


def test_the_streamed_draft_is_marked_as_being_checked_then_replaced(page: Page, ui_server_llm):
    page.goto(ui_server_llm.url)
    box = page.locator("#q textarea")
    box.fill("How many political prisoners does the Assembly want released?")
    page.evaluate(WATCH)
    box.press("Enter")
    expect(page.locator("#chat .meta")).to_have_count(1, timeout=240_000)
    drafts = page.evaluate("window.__drafts")
    assert drafts, "no draft was shown while the answer streamed"
    assert all("Checking each sentence" in d["text"] for d in drafts)
    # Markers wait for the final answer, where they are renumbered chips.
    assert not any(re.search(r"\[\d+\]", d["text"]) for d in drafts)
    print(f"first streamed text after {drafts[0]['ms']:.0f} ms")
    expect(page.locator("#chat .answer.streaming")).to_have_count(0)
    expect(page.locator("#chat .answer .meta")).to_contain_text("answered by")


def test_stop_cancels_the_answer_and_keeps_nothing_of_it(page: Page, ui_server_llm):
    page.goto(ui_server_llm.url)
    box = page.locator("#q textarea")
    box.fill("Which peaceful opposition movements does Resolution 2616 say are persecuted?")
    box.press("Enter")
    page.locator("#stop").click()  # waits until Stop is enabled, i.e. the answer started
    expect(page.locator("#send")).to_be_enabled()
    expect(page.locator("#stop")).to_be_disabled()

    # Answers run one at a time: once another browser has its answer, a stopped answer
    # that was still running would have arrived too.
    other = page.context.browser.new_context().new_page()  # type: ignore[union-attr]
    other.goto(ui_server_llm.url)
    other.locator("#q textarea").fill("Who signed the joint statement?")
    other.locator("#q textarea").press("Enter")
    expect(other.locator("#chat .meta, #chat .answer.error")).to_have_count(1, timeout=240_000)
    other.context.close()
    expect(page.locator("#chat .answer")).to_have_count(0)
    page.reload()
    page.locator("#q textarea").wait_for()
    page.wait_for_timeout(1500)
    expect(page.locator("#chat .answer")).to_have_count(0)
