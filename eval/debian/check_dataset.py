"""Checks test.jsonl against corpus/: schema, counts, facts found in the references, and
evidence quotes verbatim in the raw / tag-stripped / trafilatura / loader text and inside one
chunk. Run from the repository root: .venv/bin/python eval/debian/check_dataset.py
"""

import html
import json
import re
import sys
from collections import Counter
from pathlib import Path

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from rag.eval.metrics import contains, fact_matches

BASE = Path(__file__).resolve().parent
CORPUS = BASE / "corpus"
ROWS = [json.loads(line) for line in (BASE / "test.jsonl").read_text(encoding="utf-8").splitlines()]


def collapse(t):
    return re.sub(r"\s+", " ", t).strip().casefold()


texts = {}  # name -> list of candidate collapsed texts
for p in sorted(CORPUS.iterdir()):
    raw = p.read_text(encoding="utf-8")
    if p.suffix == ".html":
        body = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S)
        stripped = html.unescape(re.sub(r"<[^>]+>", "", body))
        traf = trafilatura.extract(raw, include_comments=False, include_tables=True) or ""
        texts[p.name] = {"traf": collapse(traf), "strip": collapse(stripped)}
    else:
        texts[p.name] = {"raw": collapse(raw)}

# loader + chunker view (what the index really holds)
chunks = {}
try:
    from rag.chunking import chunk_document
    from rag.ingest.loaders import load_document

    for p in sorted(CORPUS.iterdir()):
        doc = load_document(p, CORPUS)
        chunks[p.name] = [c.text for c in chunk_document(doc)]
        texts[p.name]["loader"] = collapse(
            doc.text if hasattr(doc, "text") else " ".join(chunks[p.name])
        )
except Exception as e:  # pragma: no cover
    print("loader check skipped:", repr(e))

errors = []
ids = [r["id"] for r in ROWS]
dups = [i for i, c in Counter(ids).items() if c > 1]
if dups:
    errors.append(f"duplicate ids {dups}")
KEYS = {"id", "question", "lang", "answerable", "sources", "facts", "reference", "evidence"}
OPT = {"history", "paraphrase_of", "strategy"}
by_id = {r["id"]: r for r in ROWS}
for r in ROWS:
    rid = r["id"]
    if not (KEYS <= set(r) <= KEYS | OPT):
        errors.append(f"{rid}: keys {set(r) ^ KEYS}")
    if r["lang"] not in {"en", "fr", "it"}:
        errors.append(f"{rid}: lang")
    for t in r.get("history", []):
        if t["role"] not in {"user", "assistant"} or not t["content"].strip():
            errors.append(f"{rid}: history turn")
    if "paraphrase_of" in r:
        o = by_id.get(r["paraphrase_of"])
        if not o or "paraphrase_of" in o:
            errors.append(f"{rid}: bad paraphrase_of")
        else:
            for k in ("answerable", "sources", "facts", "evidence"):
                if o[k] != r[k]:
                    errors.append(f"{rid}: {k} differs from original")
        if r.get("strategy") not in {"acronym", "context", "shape", "language"}:
            errors.append(f"{rid}: strategy")
        if not rid.startswith(r["paraphrase_of"]) or len(rid) != len(r["paraphrase_of"]) + 1:
            errors.append(f"{rid}: id shape")
        if r.get("strategy") == "language" and r["lang"] == o["lang"]:
            errors.append(f"{rid}: language paraphrase in same language")
    if r["answerable"]:
        if not (r["sources"] and r["facts"] and r["evidence"]):
            errors.append(f"{rid}: answerable but empty sources/facts/evidence")
    else:
        if r["sources"] or r["facts"] or r["evidence"]:
            errors.append(f"{rid}: unanswerable but has sources/facts/evidence")
    for s in r["sources"]:
        if s not in texts:
            errors.append(f"{rid}: unknown source {s}")
    for qt in r["evidence"]:
        n = len(qt.split())
        if not 4 <= n <= 30:
            errors.append(f"{rid}: quote length {n}: {qt}")
        cq = collapse(qt)
        found = [s for s in r["sources"] if s in texts and all(cq in v for v in texts[s].values())]
        if not found:
            detail = {
                s: {k: cq in v for k, v in texts[s].items()} for s in r["sources"] if s in texts
            }
            errors.append(f"{rid}: quote not found in all views {detail}: {qt}")
        in_chunk = [
            s for s in r["sources"] if s in chunks and any(contains(c, qt) for c in chunks[s])
        ]
        if chunks and not in_chunk:
            errors.append(f"{rid}: quote not inside any single chunk: {qt}")
    for s in r["sources"]:
        if s in texts and not any(
            all(collapse(q) in v for v in texts[s].values()) for q in r["evidence"]
        ):
            errors.append(f"{rid}: source {s} has no quote")
    for g in r["facts"]:
        if not all(0 < len(a.split()) <= 8 for a in g):
            errors.append(f"{rid}: long fact alternative {g}")
    ok = fact_matches(r["reference"], r["facts"])
    if not all(ok):
        missing = [g for g, b in zip(r["facts"], ok, strict=True) if not b]
        errors.append(f"{rid}: facts not in reference {missing}")

orig = [r for r in ROWS if "paraphrase_of" not in r]
para = [r for r in ROWS if "paraphrase_of" in r]
ans_orig = [r for r in orig if r["answerable"]]
for o in ans_orig:
    ps = [p for p in para if p["paraphrase_of"] == o["id"]]
    if len({p["strategy"] for p in ps}) < 2:
        errors.append(f"{o['id']}: fewer than two paraphrase strategies")
covered = {s for r in ROWS for s in r["sources"]}
if covered != set(texts):
    errors.append(f"uncovered documents {set(texts) - covered}")

stats = {
    "rows": len(ROWS),
    "originals": len(orig),
    "answerable originals": len(ans_orig),
    "unanswerable originals": sum(not r["answerable"] for r in orig),
    "originals by lang": dict(Counter(r["lang"] for r in orig)),
    "follow-ups (originals)": sum("history" in r for r in orig),
    "follow-ups (all rows)": sum("history" in r for r in ROWS),
    "paraphrases by strategy": dict(Counter(r["strategy"] for r in para)),
    "paraphrases by lang": dict(Counter(r["lang"] for r in para)),
    "multi-source originals": sum(len(r["sources"]) > 1 for r in orig),
    "originals per source": dict(Counter(s for r in orig for s in r["sources"])),
}
for k, v in stats.items():
    print(f"{k}: {v}")
need = [
    (stats["originals"] >= 44, "44 originals"),
    (stats["unanswerable originals"] >= 9, "9 unanswerable"),
    (sum(v for k, v in stats["originals by lang"].items() if k != "en") >= 8, "8 fr/it"),
    (
        stats["originals by lang"].get("fr", 0) > 0 and stats["originals by lang"].get("it", 0) > 0,
        "fr and it",
    ),
    (stats["follow-ups (originals)"] >= 4, "4 follow-ups"),
    (
        set(stats["paraphrases by strategy"]) == {"acronym", "context", "shape", "language"},
        "all strategies",
    ),
]
for ok, what in need:
    if not ok:
        errors.append(f"count: {what}")
print("\nERRORS:" if errors else "\nOK: no errors")
for e in errors:
    print(" ", e)
