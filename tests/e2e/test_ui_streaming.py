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
