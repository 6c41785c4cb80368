"""The document store port: what the index needs from persistence, no database types."""

from collections.abc import Sequence
from typing import Protocol

from assistant.core.documents.records import DocChunk, DocFile, DocRoot
from assistant.core.ports.store import Scored


class DocumentStore(Protocol):
    """Indexed roots, files and chunks (with their vectors)."""

    def roots(self) -> list[DocRoot]:
        """Every root and exclusion."""
        ...

    def save_root(self, root: DocRoot) -> None:
        """Insert or replace a root (keyed by path)."""
        ...

    def delete_roots(self, paths: Sequence[str]) -> None: ...

    def files(self) -> list[DocFile]:
        """Every committed file."""
        ...

    def add_chunks(self, chunks: Sequence[DocChunk], vectors: Sequence[Sequence[float]]) -> None:
        """Append chunks of a file being indexed (invisible until `commit_files`)."""
        ...

    def commit_files(self, files: Sequence[DocFile]) -> None:
        """Make each file's chunks live at once, and drop its earlier chunks."""
        ...

    def delete_files(self, paths: Sequence[str]) -> None:
        """Delete files, their chunks, their quotes in stored reply contexts and in the
        replies that copied them (rows only: `purge` erases the bytes)."""
        ...

    def drop_orphans(self) -> int:
        """Delete chunks no committed file names (an interrupted run); returns how many."""
        ...

    def purge(self) -> None:
        """Rewrite the document tables so deleted text leaves the disk."""
        ...

    def chunks_of(self, path: str) -> list[DocChunk]:
        """A committed file's chunks in document order."""
        ...

    def nearest_chunks(self, vector: Sequence[float], k: int) -> list[Scored[DocChunk]]: ...

    def keyword_chunks(self, text: str, k: int) -> list[Scored[DocChunk]]: ...
