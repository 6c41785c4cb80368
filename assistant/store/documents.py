"""The document tables in LanceDB: roots, files and chunks (the DocumentStore adapter).

Chunk vectors are searched through the same in-memory VectorCache as memories and
messages. A chunk is searchable only while a file row names its `file_id`, which is
what makes a file's indexing all-or-nothing (see DocFile).
"""

import json
import threading
from collections.abc import Sequence
from typing import Any

from assistant.core.documents.records import DocChunk, DocFile, DocRoot
from assistant.core.ports.store import Scored
from assistant.core.reply_context import ReplyContext
from assistant.store.erase import erase_reply_quotes
from assistant.store.lance_db import (
    DOC_CHUNKS,
    DOC_FILES,
    DOC_ROOTS,
    MESSAGES,
    SIGNALS,
    LanceDatabase,
    quote,
    utc,
)
from assistant.store.vector_cache import VectorCache

CHUNK_COLUMNS = ("file_id", "path", "heading", "start", "end", "text")
FILTER_BATCH = 500


def _chunk(row: dict[str, Any]) -> DocChunk:
    return DocChunk(
        row["id"],
        row["file_id"],
        row["path"],
        row["heading"],
        row["start"],
        row["end"],
        row["text"],
    )


def _file(row: dict[str, Any]) -> DocFile:
    return DocFile(
        path=row["path"],
        root=row["root"],
        file_id=row["file_id"],
        kind=row["kind"],
        size=row["size"],
        mtime_ns=row["mtime_ns"],
        sha256=row["sha256"],
        chunks=row["chunks"],
        indexed_at=utc(row["indexed_at"]),
    )


def without_documents(context: str, paths: set[str]) -> str:
    """A stored context JSON without its quotes of these files' chunks."""
    return ReplyContext.without_documents(context, paths)


def quoted_texts(context: str, paths: set[str]) -> list[str]:
    """The texts of these files' chunks that a stored context shows."""
    return ReplyContext.quoted_documents(context, paths)


def _in(column: str, values: Sequence[str]) -> list[str]:
    """`column IN (...)` filters, in batches that keep the SQL short."""
    return [
        f"{column} IN ({', '.join(quote(v) for v in values[i : i + FILTER_BATCH])})"
        for i in range(0, len(values), FILTER_BATCH)
    ]


class LanceDocumentStore:
    """The DocumentStore port over the shared LanceDB directory."""

    def __init__(self, db: LanceDatabase) -> None:
        self.db = db
        self._vectors = VectorCache(lambda: db.table(DOC_CHUNKS), CHUNK_COLUMNS, "text")
        self._live_lock = threading.Lock()
        self._live: dict[str, DocFile] = {}
        self._live_version: int | None = None
        self._quotes_changed: set[str] = set()

    # -- roots -------------------------------------------------------------------

    def roots(self) -> list[DocRoot]:
        return [
            DocRoot(
                r["path"],
                r["kind"],
                utc(r["added_at"]),
                utc(r["synced_at"]) if r["synced_at"] else None,
            )
            for r in self.db.rows(DOC_ROOTS)
        ]

    def save_root(self, root: DocRoot) -> None:
        row = {
            "path": root.path,
            "kind": root.kind,
            "added_at": root.added_at,
            "synced_at": root.synced_at,
        }
        self.db.upsert(DOC_ROOTS, "path", [row])

    def delete_roots(self, paths: Sequence[str]) -> None:
        with self.db.lock:
            for where in _in("path", paths):
                self.db.table(DOC_ROOTS).delete(where)

    # -- files -------------------------------------------------------------------

    def files(self) -> list[DocFile]:
        return list(self._live_files().values())

    def add_chunks(self, chunks: Sequence[DocChunk], vectors: Sequence[Sequence[float]]) -> None:
        rows = [
            {
                "id": c.id,
                "file_id": c.file_id,
                "path": c.path,
                "heading": c.heading,
                "start": c.start,
                "end": c.end,
                "text": c.text,
                "vector": list(v),
            }
            for c, v in zip(chunks, vectors, strict=True)
        ]
        if not rows:
            return
        with self.db.lock:
            with self.db.writing(DOC_CHUNKS) as table:
                table.add(rows)
            self._vectors.record_write(lambda cache: cache.append(rows))

    def commit_files(self, files: Sequence[DocFile]) -> None:
        if not files:
            return
        rows = [
            {
                "path": f.path,
                "root": f.root,
                "file_id": f.file_id,
                "kind": f.kind,
                "size": f.size,
                "mtime_ns": f.mtime_ns,
                "sha256": f.sha256,
                "chunks": f.chunks,
                "indexed_at": f.indexed_at,
            }
            for f in files
        ]
        with self.db.lock:
            self.db.upsert(DOC_FILES, "path", rows)
            chunks = self.db.table(DOC_CHUNKS)
            for start in range(0, len(files), FILTER_BATCH):
                batch = files[start : start + FILTER_BATCH]
                paths = ", ".join(quote(f.path) for f in batch)
                ids = ", ".join(quote(f.file_id) for f in batch)
                # Chunks of these paths from earlier runs are stale now.
                stale = f"path IN ({paths}) AND file_id NOT IN ({ids})"
                if chunks.count_rows(stale):
                    replaced = chunks.search().where(stale).select(["path"]).limit(None)
                    self._scrub(MESSAGES, {r["path"] for r in replaced.to_list()}, erase=False)
                    chunks.delete(stale)
                    self._vectors.invalidate()

    def delete_files(self, paths: Sequence[str]) -> None:
        if not paths:
            return
        with self.db.lock:
            for where in _in("path", paths):
                self.db.table(DOC_FILES).delete(where)
                self.db.table(DOC_CHUNKS).delete(where)
            self._vectors.invalidate()
            for table in (MESSAGES, SIGNALS):
                self._quotes_changed |= self._scrub(table, set(paths))

    def _scrub(self, table: str, paths: set[str], erase: bool = True) -> set[str]:
        """Rewrite the stored contexts that quote these files (see without_documents),
        and the replies that copied them; returns the tables changed.

        Without `erase` (the files were edited, not removed) only the copies in the
        replies' search-index rows go: recall no longer offers the old text, and the
        user still sees each reply and its context as they were.
        """
        changed: set[str] = set()
        copied: list[tuple[str, str, list[str]]] = []
        needles = sorted(json.dumps(p)[1:-1] for p in paths)
        columns = ["id", "context", "content"] if table == MESSAGES else ["id", "context"]
        for start in range(0, len(needles), FILTER_BATCH):
            batch = needles[start : start + FILTER_BATCH]
            where = " OR ".join(f"context LIKE {quote('%' + n + '%')}" for n in batch)
            query = self.db.table(table).search().where(where).select(columns)
            for row in query.limit(None).to_list():
                texts = quoted_texts(row["context"], paths) if table == MESSAGES else []
                if texts:
                    copied.append((row["id"], row["content"], texts))
                if not erase:
                    continue
                scrubbed = without_documents(row["context"], paths)
                if scrubbed != row["context"]:
                    with self.db.writing(table) as writable:
                        writable.update(
                            where=f"id = {quote(row['id'])}", values={"context": scrubbed}
                        )
                    changed.add(table)
        return changed | erase_reply_quotes(self.db, copied, content=erase)

    def drop_orphans(self) -> int:
        live = self._live_files()
        cache = self._vectors.fresh()
        orphans = sorted({f for f in cache.values["file_id"] if f not in live})
        if not orphans:
            return 0
        count = 0
        with self.db.lock:
            chunks = self.db.table(DOC_CHUNKS)
            for where in _in("file_id", orphans):
                count += chunks.count_rows(where)
                chunks.delete(where)
            self._vectors.invalidate()
        return count

    def purge(self) -> None:
        with self.db.lock:
            self.db.purge(DOC_CHUNKS, DOC_FILES, DOC_ROOTS, *sorted(self._quotes_changed))
            self._quotes_changed = set()
            self._vectors.invalidate()

    # -- chunks ------------------------------------------------------------------

    def _live_files(self) -> dict[str, DocFile]:
        """Committed files by file id, reread only when the files table moved.

        A sync of unchanged files and every recall read this, so it is cached.
        """
        table = self.db.table(DOC_FILES)
        with self._live_lock:
            version = table.version
            if self._live_version != version:
                rows = table.search().limit(None).to_list()
                self._live = {f.file_id: f for f in map(_file, rows)}
                self._live_version = version
            return self._live

    def chunks_of(self, path: str) -> list[DocChunk]:
        live = self._live_files()
        rows = self.db.rows(DOC_CHUNKS, f"path = {quote(path)}")
        return sorted((_chunk(r) for r in rows if r["file_id"] in live), key=lambda c: c.start)

    def nearest_chunks(self, vector: Sequence[float], k: int) -> list[Scored[DocChunk]]:
        live = self._live_files()
        cache = self._vectors.fresh()
        ids = cache.values["file_id"]
        top = cache.top(vector, k, lambda i: ids[i] in live)
        return [Scored(_chunk(cache.row(i)), score) for i, score in top]

    def keyword_chunks(self, text: str, k: int) -> list[Scored[DocChunk]]:
        live = self._live_files()
        cache = self._vectors.fresh()
        ids = cache.values["file_id"]
        top = cache.keyword_top(text, k, lambda i: ids[i] in live)
        return [Scored(_chunk(cache.row(i)), score) for i, score in top]
