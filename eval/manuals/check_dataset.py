"""Checks dev.jsonl against corpus/: schema (the harness loader), counts, that every fact is
in the reference, and that every evidence quote is a verbatim span of its source as the
project reads it (loader text, whitespace collapsed and case ignored), lies inside a single
chunk as the project's chunker cuts it, and has the same words in the file itself.

Run from the repository root:  .venv/bin/python eval/manuals/check_dataset.py
Exit status 0 when everything passes, 1 otherwise.
"""

from __future__ import annotations

import html
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from rag.chunking import chunk_document  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.eval.datasets import STRATEGIES, load_dataset  # noqa: E402
from rag.eval.metrics import contains, fact_matches, matching_quotes  # noqa: E402
from rag.ingest.loaders import discover, load_document  # noqa: E402

BASE = Path(__file__).resolve().parent
CORPUS = BASE / "corpus"
DATASET = BASE / "dev.jsonl"
KEYS = {"id", "question", "lang", "answerable", "sources", "facts", "reference", "evidence"}
OPTIONAL = {"history", "paraphrase_of", "strategy"}
LANGS = {"en", "fr", "it"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def file_text(path: Path) -> str:
    """The words of the file itself: raw text, or for HTML the tag-stripped text."""
    raw = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".html", ".htm"):
        body = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S | re.I)
        return html.unescape(re.sub(r"<[^>]+>", " ", body))
    return raw


def hard_wrapped(path: Path) -> bool:
    """>= 90% of the non-blank lines at most 80 columns (terminal escapes not counted)."""
    lines = [ANSI.sub("", x) for x in path.read_text(encoding="utf-8").splitlines()]
    lines = [x for x in lines if x.strip()]
    return bool(lines) and sum(len(x) <= 80 for x in lines) >= 0.9 * len(lines)


def main() -> int:
    errors: list[str] = []
    settings = Settings.from_env()

    # --- the corpus as the project reads it -------------------------------------------
    docs: dict[str, dict] = {}
    for path in discover(CORPUS):
        doc = load_document(path, CORPUS)
        chunks = chunk_document(
            doc,
            max_tokens=settings.chunk_tokens,
            overlap_sentences=settings.chunk_overlap_sentences,
        )
        docs[doc.source] = {
            "path": path,
            "loaded": collapse(doc.text),
            "words": len(doc.text.split()),
            "file": file_text(path),
            "chunks": [c.text for c in chunks],
            "langs": set(doc.languages),
        }
    if not 5 <= len(docs) <= 8:
        errors.append(f"corpus: {len(docs)} documents, want 5 to 8")
    total_words = sum(d["words"] for d in docs.values())
    if total_words < 25_000:
        errors.append(f"corpus: {total_words} words, want >= 25,000")
    for name, d in docs.items():
        if d["words"] > 12_500:
            errors.append(f"corpus: {name} has {d['words']} words (> ~12,000)")
    wrapped = [n for n, d in docs.items() if n.endswith(".txt") and hard_wrapped(d["path"])]
    if len(wrapped) < 2:
        errors.append(f"corpus: hard-wrapped text files {wrapped}, want >= 2")
    marked = [n for n in docs if Path(n).suffix.lower() in (".md", ".html", ".htm")]
    if not marked:
        errors.append("corpus: no Markdown or HTML file")

    # --- the harness accepts the file --------------------------------------------------
    try:
        items = load_dataset(DATASET)
    except Exception as exc:  # DatasetError and friends: report, keep checking the rest
        errors.append(f"load_dataset: {exc}")
        items = []
    rows = [json.loads(x) for x in DATASET.read_text(encoding="utf-8").splitlines() if x.strip()]
    if items and len(items) != len(rows):
        errors.append(f"load_dataset read {len(items)} items of {len(rows)} lines")
    by_id = {r["id"]: r for r in rows}
    dups = [i for i, n in Counter(r["id"] for r in rows).items() if n > 1]
    if dups:
        errors.append(f"duplicate ids {dups}")

    # --- row by row ----------------------------------------------------------------------
    for r in rows:
        rid = r.get("id", "?")
        if not KEYS <= set(r) <= KEYS | OPTIONAL:
            errors.append(f"{rid}: keys {sorted(set(r) ^ KEYS - OPTIONAL)}")
            continue
        if r["lang"] not in LANGS:
            errors.append(f"{rid}: lang {r['lang']!r}")
        if not r["question"].strip() or not r["reference"].strip():
            errors.append(f"{rid}: empty question or reference")
        for turn in r.get("history", []):
            if turn.get("role") not in {"user", "assistant"} or not turn.get("content", "").strip():
                errors.append(f"{rid}: bad history turn")
        if r["answerable"]:
            if not (r["sources"] and r["facts"] and r["evidence"]):
                errors.append(f"{rid}: answerable but empty sources/facts/evidence")
        elif r["sources"] or r["facts"] or r["evidence"]:
            errors.append(f"{rid}: unanswerable but has sources/facts/evidence")
        for s in r["sources"]:
            if s not in docs:
                errors.append(f"{rid}: unknown source {s}")
        known = [s for s in r["sources"] if s in docs]

        for q in r["evidence"]:
            n = len(q.split())
            if not 4 <= n <= 30:
                errors.append(f"{rid}: quote of {n} words: {q}")
            cq = collapse(q)
            if not any(cq in docs[s]["loaded"] for s in known):
                errors.append(f"{rid}: quote not in the loader's text: {q}")
            if not any(contains(docs[s]["file"], q) for s in known):
                errors.append(f"{rid}: quote's words not in the file itself: {q}")
            in_one_chunk = any(
                cq in collapse(c) and matching_quotes([c], [q])[0]
                for s in known
                for c in docs[s]["chunks"]
            )
            if not in_one_chunk:
                errors.append(f"{rid}: quote not inside a single chunk: {q}")
        for s in known:
            if r["evidence"] and not any(collapse(q) in docs[s]["loaded"] for q in r["evidence"]):
                errors.append(f"{rid}: source {s} has no evidence quote")

        for group in r["facts"]:
            if not all(0 < len(a.split()) <= 8 for a in group):
                errors.append(f"{rid}: fact alternative longer than 8 words {group}")
        ok = fact_matches(r["reference"], r["facts"])
        if not all(ok):
            missing = [g for g, b in zip(r["facts"], ok, strict=True) if not b]
            errors.append(f"{rid}: facts not in the reference {missing}")

        if "strategy" in r and "paraphrase_of" not in r:
            errors.append(f"{rid}: strategy without paraphrase_of")
        if "paraphrase_of" in r:
            o = by_id.get(r["paraphrase_of"])
            if o is None or "paraphrase_of" in o:
                errors.append(f"{rid}: paraphrase_of must name an original of this file")
                continue
            for k in ("answerable", "sources", "facts", "evidence"):
                if o[k] != r[k]:
                    errors.append(f"{rid}: {k} differs from {o['id']}")
            if ("history" in o) != ("history" in r):
                errors.append(f"{rid}: history present on only one of {rid} and {o['id']}")
            if r.get("strategy") not in STRATEGIES:
                errors.append(f"{rid}: strategy {r.get('strategy')!r}")
            if not re.fullmatch(re.escape(o["id"]) + r"[a-z]", rid):
                errors.append(f"{rid}: id should be {o['id']} plus one letter")
            if collapse(r["question"]) == collapse(o["question"]):
                errors.append(f"{rid}: same wording as {o['id']}")
            if r.get("strategy") == "language" and r["lang"] == o["lang"]:
                errors.append(f"{rid}: language paraphrase in the same language")

    # --- counts --------------------------------------------------------------------------
    orig = [r for r in rows if "paraphrase_of" not in r]
    para = [r for r in rows if "paraphrase_of" in r]
    ans = [r for r in orig if r["answerable"]]
    for o in ans:
        strategies = [p["strategy"] for p in para if p["paraphrase_of"] == o["id"]]
        if len(strategies) < 2 or len(set(strategies)) < 2:
            errors.append(f"{o['id']}: needs 2 paraphrases by different strategies {strategies}")
    langs = Counter(r["lang"] for r in orig)
    cross = [
        r["id"]
        for r in orig
        if r["sources"]
        and all(r["lang"] not in docs[s]["langs"] for s in r["sources"] if s in docs)
    ]
    per_source = Counter(s for r in orig for s in r["sources"])
    stats = {
        "documents": len(docs),
        "words (loader)": total_words,
        "words per document": {n: d["words"] for n, d in sorted(docs.items())},
        "chunks per document": {n: len(d["chunks"]) for n, d in sorted(docs.items())},
        "hard-wrapped .txt": wrapped,
        "rows": len(rows),
        "originals": len(orig),
        "answerable originals": len(ans),
        "unanswerable originals": len(orig) - len(ans),
        "originals by lang": dict(langs),
        "unanswerable by lang": dict(Counter(r["lang"] for r in orig if not r["answerable"])),
        "cross-lingual originals": len(cross),
        "follow-ups (originals)": sum("history" in r for r in orig),
        "follow-ups (all rows)": sum("history" in r for r in rows),
        "multi-source originals": sum(len(r["sources"]) > 1 for r in orig),
        "originals per source": dict(sorted(per_source.items())),
        "paraphrases": len(para),
        "paraphrases by strategy": dict(Counter(r["strategy"] for r in para)),
        "paraphrases by lang": dict(Counter(r["lang"] for r in para)),
        "evidence quotes": sum(len(r["evidence"]) for r in orig),
    }
    for k, v in stats.items():
        print(f"{k}: {v}")
    need = [
        (len(orig) >= 45, "45 originals"),
        (len(ans) >= 36, "36 answerable originals"),
        (len(orig) - len(ans) >= 9, "9 unanswerable originals"),
        (langs["fr"] + langs["it"] >= 8, "8 originals in French or Italian"),
        (langs["fr"] >= 3 and langs["it"] >= 3, "3 originals in French and 3 in Italian"),
        (len(cross) >= 3, "3 cross-lingual originals"),
        (stats["follow-ups (originals)"] >= 4, "4 follow-ups"),
        (stats["multi-source originals"] >= 2, "2 questions needing two sources"),
        (set(stats["paraphrases by strategy"]) == set(STRATEGIES), "every strategy used"),
        (all(per_source[s] >= 2 for s in docs), "every document the source of 2 originals"),
    ]
    for ok, what in need:
        if not ok:
            errors.append(f"count: want {what}")

    print("\nOK: no errors" if not errors else f"\nERRORS ({len(errors)}):")
    for e in errors:
        print("  " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
