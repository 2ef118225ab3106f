"""Ingestion: corpus files -> normalized ``Document`` objects.

    >>> from rag.ingest import discover, load_document
    >>> docs = [load_document(p, root) for p in discover(root)]  # doctest: +SKIP

``discover`` lists the files of a corpus folder; ``load_document`` reads one of them
(txt, md, json, html, pdf), cleans PDF artefacts, splits paragraphs and tags each with
its language, numbered label and heading. Both raise ``rag.errors.IngestError``.
"""

from __future__ import annotations

from rag.errors import IngestError
from rag.ingest.loaders import SUPPORTED_SUFFIXES, build_document, discover, load_document
from rag.text.lang import detect_language

__all__ = [
    "SUPPORTED_SUFFIXES",
    "IngestError",
    "build_document",
    "detect_language",
    "discover",
    "load_document",
]
