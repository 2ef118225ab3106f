"""Contextual chunk headers: each chunk embedded as its document title and section heading,
then its text (``hdr``), or as it is (``base``); the retrieval measure of ``retr.py``.

    PYTHONPATH=. python eval/results/experiments/retrieval-2026-12-07/headers.py hdr \
        eval/manuals/dev.jsonl eval/manuals/corpus
"""

import importlib.util
import json
import sys
import tempfile
from pathlib import Path

import rag.sync as sync

MODE, DATASET, CORPUS = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
HEADER: dict[str, str] = {}  # chunk id -> its title and heading
_chunk = sync.chunk_document


def chunk_document(doc, **kw):
    chunks = _chunk(doc, **kw)
    for c in chunks:
        para = next((p for p in doc.paragraphs if p.start <= c.start < p.end + 2), None)
        heading = para.heading if para else None
        parts = [c.title] if c.title and not c.text.startswith(c.title) else []
        if heading and heading != c.title and not c.text.startswith(heading):
            parts.append(heading)
        HEADER[c.id] = "\n".join(parts)
    return chunks


sync.chunk_document = chunk_document

if MODE == "hdr":
    _write = sync._write

    def write_with_headers(index, batch, manifest, report):
        emb = index.embedder
        chunks = [c for _, _, cs, _ in batch for c in cs]
        texts = {c.text: (HEADER.get(c.id, "") + "\n" + c.text).strip() for c in chunks}
        plain = emb.embed
        emb.embed = lambda ts, progress=None: plain(
            [texts.get(t, t) for t in ts], progress=progress
        )
        try:
            return _write(index, batch, manifest, report)
        finally:
            del emb.embed

    sync._write = write_with_headers

spec = importlib.util.spec_from_file_location("retr", Path(__file__).with_name("retr.py"))
retr = importlib.util.module_from_spec(spec)
spec.loader.exec_module(retr)
with tempfile.TemporaryDirectory() as tmp:
    print(MODE, json.dumps(retr.mine(DATASET, CORPUS, Path(tmp))))
