"""The vector store: the only package that imports chromadb.

Two collections per index:
  ``<collection>``        one record per chunk (text, embedding, metadata)
  ``<collection>_files``  one record per ingested file: the manifest (content hash, chunk ids)

Keeping the manifest in Chroma itself means a local folder and a Chroma server behave
the same, and the manifest can never drift from the chunks it describes: it is written
after the chunks, so an interrupted sync is simply redone next time.

Several processes may share one local index (the chat UI and a terminal ``rag ingest``;
``rag.sharing``): a write holds the data folder's writer lock and bumps its generation;
a read first compares the generation with the one its client was opened at, and reopens
the client when another process wrote since (embedded Chroma would otherwise keep
serving its stale in-memory vectors: "Error finding id"). A call that fails anyway is
retried once on a freshly opened client before its error reaches the user.

    index = open_index(settings)
    index.upsert(chunks, vectors)
    passages = index.query(vector, k=5)

Modules: ``connection`` (clients, one per location, and the writer lock), ``chunks``
(``ChunkIndex``, ``open_index``, ``drop_index``), ``records`` (metadata <-> objects),
``terms`` (each chunk's BM25 terms, in sqlite next to the index or in a per-machine cache
for a server), ``segments`` (the BM25 term counts of a batch of chunks), ``segment_set``
(the live segments on disk: tombstones, merges) and ``bm25`` (BM25 kept in step with the
collection, across processes).
"""

from rag.index.chunks import ChunkIndex, drop_index, open_index
from rag.index.connection import busy_writer, get_client, writer
from rag.index.records import FileRecord

__all__ = [
    "ChunkIndex",
    "FileRecord",
    "busy_writer",
    "drop_index",
    "get_client",
    "open_index",
    "writer",
]
