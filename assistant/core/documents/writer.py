"""Batched writes for the index: chunks of many files per embedding call and store
append, and file rows committed many at a time, always after their chunks.

One LanceDB write costs tens of milliseconds whatever its size (and takes the
cross-process store lock), so a write per file made indexing a folder of small notes
an order of magnitude slower than the embedder allows. Committing a file only once its
chunks are stored keeps each file all-or-nothing (DocFile).
"""

from collections.abc import Callable, Sequence

from assistant.core.documents.records import DocChunk, DocFile
from assistant.core.ports.documents import DocumentStore

Embed = Callable[[Sequence[str]], list[list[float]]]
CHUNK_BATCH = 256
FILE_BATCH = 500


def embed_text(chunk: DocChunk) -> str:
    """What a chunk is embedded as: its file name and headings help it be found."""
    name = chunk.path.rsplit("/", 1)[-1]
    return f"{name}: {chunk.heading}\n{chunk.text}" if chunk.heading else chunk.text


class BatchWriter:
    """Buffers chunks and finished files; `flush` writes what is buffered."""

    def __init__(
        self,
        store: DocumentStore,
        embed: Embed,
        chunk_batch: int = CHUNK_BATCH,
        file_batch: int = FILE_BATCH,
    ) -> None:
        self.store = store
        self.embed = embed
        self.chunk_batch = chunk_batch
        self.file_batch = file_batch
        self._chunks: list[DocChunk] = []
        self._files: list[DocFile] = []

    def chunk(self, chunk: DocChunk) -> None:
        """Buffer a chunk; a full buffer is embedded and appended (still invisible)."""
        self._chunks.append(chunk)
        if len(self._chunks) >= self.chunk_batch:
            self._write_chunks()

    def discard(self, file_id: str) -> None:
        """Forget a file's buffered chunks (it failed half way; written ones are orphans)."""
        self._chunks = [c for c in self._chunks if c.file_id != file_id]

    def file(self, file: DocFile) -> None:
        """A file whose chunks are all buffered or written: commit it with the next batch."""
        self._files.append(file)
        if len(self._files) >= self.file_batch:
            self.flush()

    def flush(self) -> None:
        """Write the buffered chunks, then commit the files waiting for them."""
        self._write_chunks()
        if self._files:
            self.store.commit_files(self._files)
            self._files = []

    def _write_chunks(self) -> None:
        if self._chunks:
            chunks, self._chunks = self._chunks, []
            self.store.add_chunks(chunks, self.embed([embed_text(c) for c in chunks]))
