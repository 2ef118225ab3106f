"""The UI's CSS and its one piece of JavaScript, passed to ``launch(css=, js=)``.

The script listens for clicks on citation chips (``.cite``) and on "show the closest
passages" buttons anywhere in the page (delegation: the chat re-renders its bubbles),
shows that answer's section of ``#sources``, scrolls its passage into view and marks it
``active``. It reads only the ``t-<turn>``/``n-<number>`` classes the server wrote.
"""

from __future__ import annotations

__all__ = ["CSS", "JS"]

CSS = """
#chat .answer p, #chat .question p { margin: 0 0 .5em 0; }
#chat .cite, #sources .n {
  display: inline-block; min-width: 1.5em; padding: 0 .35em; margin: 0 .1em;
  border-radius: .75em; border: 1px solid var(--color-accent, #f97316);
  background: var(--color-accent-soft, #fff7ed); color: var(--body-text-color, #111);
  font-size: .75em; line-height: 1.5em; text-align: center; vertical-align: super;
  cursor: pointer;
}
#chat .cite:hover, #chat .cite:focus { background: var(--color-accent, #f97316); color: #fff; }
#chat .answer.abstained {
  border-left: 4px solid #9ca3af; padding-left: .6em; color: var(--body-text-color-subdued, #555);
  font-style: italic;
}
#chat .abstained-label {
  font-style: normal; font-weight: 600; font-size: .8em; text-transform: uppercase;
  letter-spacing: .04em; margin-bottom: .3em;
}
#chat .show-sources {
  font-style: normal; font-size: .85em; text-decoration: underline; cursor: pointer;
  background: none; border: none; padding: 0; color: inherit;
}
#chat .answer.streaming { opacity: .65; }
#chat .checking { font-size: .8em; font-style: italic; margin-top: .3em; }
#chat .answer.error { color: #b91c1c; }
#chat .removed { font-size: .85em; margin-top: .4em; }
#chat .removed del { opacity: .7; }
#chat .removed .reason { font-style: italic; }
#chat .meta { font-size: .72em; opacity: .6; margin-top: .4em; }
#sources { overflow-y: auto; }
#sources h3 { font-size: .95em; margin: .2em 0 .6em 0; }
#sources .passage {
  border: 1px solid var(--border-color-primary, #e5e7eb); border-radius: .5em;
  padding: .5em .7em; margin-bottom: .6em; transition: box-shadow .3s;
}
#sources .passage.active { box-shadow: 0 0 0 3px var(--color-accent, #f97316); }
#sources .passage header { display: flex; flex-wrap: wrap; gap: .2em .6em; align-items: baseline; }
#sources .passage .n { vertical-align: baseline; cursor: default; }
#sources .passage .title { font-weight: 600; }
#sources .passage .facts, #sources .passage .file { font-size: .75em; opacity: .7; }
#sources .passage .ptext { font-size: .88em; margin-top: .3em; white-space: pre-wrap; }
#sources .translations { font-size: .82em; margin-top: .4em; }
#sources .translations summary { cursor: pointer; opacity: .8; }
#sources .translation { margin-top: .3em; white-space: pre-wrap; }
#sources .translation .lang { font-weight: 600; font-size: .8em; opacity: .7; }
#sources mark { background: #fde68a; color: #111; padding: 0 .1em; }
#sources .passage.active mark { background: #fbbf24; }
"""

JS = r"""
() => {
  function show(turn, n) {
    const panel = document.querySelector('#sources');
    if (!panel) return;
    panel.querySelectorAll('.sources-turn').forEach((s) => {
      s.hidden = s.dataset.turn !== turn;
    });
    panel.querySelectorAll('.passage.active').forEach((p) => p.classList.remove('active'));
    const section = panel.querySelector(`.sources-turn[data-turn="${turn}"]`);
    if (!section) return;
    const target = n ? section.querySelector(`.passage[data-n="${n}"]`) : section;
    if (!target) return;
    if (n) target.classList.add('active');
    target.scrollIntoView({block: 'nearest'});
  }
  document.addEventListener('click', (ev) => {
    const el = ev.target.closest && ev.target.closest('.cite, .show-sources');
    if (!el || !el.closest('#chat')) return;
    ev.preventDefault();
    ev.stopPropagation();
    const turn = (el.className.match(/\bt-(\d+)\b/) || [])[1] || '';
    const n = (el.className.match(/\bn-(\d+)\b/) || [])[1] || '';
    show(turn, n);
  }, true);
}
"""
