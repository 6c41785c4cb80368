"""Memories, their event history, and the message search index, in LanceDB.

The learning core sees these through the MemoryStore port; vectors travel as plain
lists of floats. Search returns candidates with raw scores; fusing and ranking them
is the core's job (assistant/core/learning/recall.py).
"""

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from assistant.core.errors import NotFoundError
from assistant.core.ports.store import IndexedMessage, Scored
from assistant.core.records import (
    Memory,
    MemoryEvent,
    MemorySnapshot,
    MemoryStatus,
    Message,
    Signal,
    SignalKind,
)
from assistant.store.erase import FORGOTTEN_SOURCE, outdate_quotes
from assistant.store.lance_db import (
    EMBEDDING_DIM,
    MEMORIES,
    MEMORY_EVENTS,
    MESSAGE_INDEX,
    META,
    SIGNALS,
    LanceDatabase,
    quote,
    utc,
)
from assistant.store.vector_cache import VectorCache

MEMORY_COLUMNS = [
    "kind",
    "text",
    "key",
    "source_ids",
    "created_at",
    "updated_at",
    "last_used_at",
    "use_count",
    "status",
    "supersedes",
    "superseded_by",
    "confidence",
]
MESSAGE_COLUMNS = ["conversation_id", "role", "speaker", "text", "created_at"]


def _memory(row: dict[str, Any]) -> Memory:
    last = row.get("last_used_at")
    return Memory(
        id=row["id"],
        kind=row["kind"],
        text=row["text"],
        key=row["key"],
        source_ids=tuple(row["source_ids"] or ()),
        created_at=utc(row["created_at"]),
        updated_at=utc(row["updated_at"]),
        status=row["status"],
        last_used_at=utc(last) if last else None,
        use_count=int(row["use_count"] or 0),
        supersedes=row["supersedes"] or "",
        superseded_by=row["superseded_by"] or "",
        confidence=float(row["confidence"]),
    )


def _memory_row(memory: Memory, vector: Sequence[float]) -> dict[str, Any]:
    return {
        "id": memory.id,
        "kind": memory.kind,
        "text": memory.text,
        "key": memory.key,
        "source_ids": list(memory.source_ids),
        "created_at": memory.created_at,
        "updated_at": memory.updated_at,
        "last_used_at": memory.last_used_at,
        "use_count": memory.use_count,
        "status": memory.status,
        "supersedes": memory.supersedes,
        "superseded_by": memory.superseded_by,
        "confidence": memory.confidence,
        "vector": list(vector),
    }


def _event_row(event: MemoryEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "memory_id": event.memory_id,
        "action": event.action,
        "at": event.at,
        "reason": event.reason,
        "source_ids": list(event.source_ids),
        "detail": event.detail,
    }


def _indexed(row: dict[str, Any]) -> IndexedMessage:
    return IndexedMessage(
        id=row["id"],
        conversation_id=row["conversation_id"],
        role=row["role"],
        speaker=row["speaker"],
        text=row["text"],
        created_at=utc(row["created_at"]),
    )


class LanceMemoryStore:
    """The MemoryStore port over the shared LanceDB directory."""

    embedding_dim = EMBEDDING_DIM

    def __init__(self, db: LanceDatabase) -> None:
        self.db = db
        self._memory_vectors = VectorCache(lambda: db.table(MEMORIES), MEMORY_COLUMNS, "text")
        self._message_vectors = VectorCache(
            lambda: db.table(MESSAGE_INDEX), MESSAGE_COLUMNS, "text"
        )

    def vector_caches(self) -> tuple[VectorCache, VectorCache]:
        """The in-memory caches of memory and message vectors (benchmarks measure them)."""
        return self._memory_vectors, self._message_vectors

    # -- memories --------------------------------------------------------------

    def add_memory(self, memory: Memory, vector: Sequence[float]) -> None:
        row = _memory_row(memory, vector)
        with self.db.lock:
            with self.db.writing(MEMORIES) as table:
                table.add([row])
            self._memory_vectors.record_write(lambda cache: cache.append([row]))

    def get_memory(self, memory_id: str) -> Memory:
        rows = self.db.rows(MEMORIES, f"id = {quote(memory_id)}")
        if not rows:
            raise NotFoundError(
                f"no memory with id {memory_id}", "see `assistant memory list --all`"
            )
        return _memory(rows[0])

    def update_memory(self, memory: Memory, vector: Sequence[float] | None = None) -> None:
        values: dict[str, Any] = {
            "text": memory.text,
            "key": memory.key,
            "status": memory.status,
            "updated_at": memory.updated_at,
            "supersedes": memory.supersedes,
            "superseded_by": memory.superseded_by,
            "confidence": memory.confidence,
            "use_count": memory.use_count,
        }
        if memory.last_used_at is not None:
            values["last_used_at"] = memory.last_used_at
        values["source_ids"] = list(memory.source_ids)
        if vector is not None:
            values["vector"] = list(vector)
        with self.db.lock:
            self.db.update(MEMORIES, f"id = {quote(memory.id)}", values)
            self._memory_vectors.record_write(lambda cache: cache.set(memory.id, values))
            if memory.status == "superseded":
                outdate_quotes(self.db, memory.id, memory.text)

    def list_memories(
        self, statuses: Sequence[MemoryStatus] = ("active",), kind: str | None = None
    ) -> list[Memory]:
        where = "status IN (" + ", ".join(quote(s) for s in statuses) + ")"
        if kind:
            where += f" AND kind = {quote(kind)}"
        rows = self.db.table(MEMORIES).search().where(where)
        columns = [c for c in self.db.table(MEMORIES).schema.names if c != "vector"]
        memories = [_memory(r) for r in rows.select(columns).limit(None).to_list()]
        return sorted(memories, key=lambda m: m.created_at)

    def active_with_key(self, key: str) -> list[Memory]:
        rows = self.db.rows(MEMORIES, f"status = 'active' AND key = {quote(key)}")
        return [_memory(r) for r in rows]

    def nearest_memories(
        self, vector: Sequence[float], k: int, statuses: Sequence[MemoryStatus] = ("active",)
    ) -> list[Scored[Memory]]:
        """Memories by cosine similarity to `vector` (vectors are unit length)."""
        cache = self._memory_vectors.fresh()
        status = cache.values["status"]
        top = cache.top(vector, k, lambda i: status[i] in statuses)
        return [Scored(_memory(cache.row(i)), score) for i, score in top]

    def keyword_memories(
        self, text: str, k: int, statuses: Sequence[MemoryStatus] = ("active",)
    ) -> list[Scored[Memory]]:
        """Memories by BM25 over their text (in memory: they are short and few)."""
        cache = self._memory_vectors.fresh()
        status = cache.values["status"]
        top = cache.keyword_top(text, k, lambda i: status[i] in statuses)
        return [Scored(_memory(cache.row(i)), score) for i, score in top]

    def source_message_ids(self) -> set[str]:
        """Every message id some memory (active or superseded) was learned from."""
        query = self.db.table(MEMORIES).search().select(["source_ids"]).limit(None)
        return {i for row in query.to_list() for i in row["source_ids"] or ()}

    def forgotten_sources(self) -> set[str]:
        """Fingerprints (`source_fingerprint`) of the messages deleted memories came from."""
        return {r["value"] for r in self.db.rows(META, f"key = {quote(FORGOTTEN_SOURCE)}")}

    def touch_memories(self, memory_ids: Sequence[str], at: datetime) -> None:
        """Record that memories were used in a prompt."""
        if not memory_ids:
            return
        ids = ", ".join(quote(i) for i in memory_ids)

        def count_use(cache: VectorCache) -> None:
            for memory_id in memory_ids:
                if memory_id in cache.ids:
                    uses = cache.values["use_count"][cache.ids.index(memory_id)]
                    cache.set(memory_id, {"use_count": uses + 1})

        def stamp(cache: VectorCache) -> None:
            for memory_id in memory_ids:
                cache.set(memory_id, {"last_used_at": at})

        with self.db.lock:
            with self.db.writing(MEMORIES) as table:
                table.update(where=f"id IN ({ids})", values_sql={"use_count": "use_count + 1"})
            self._memory_vectors.record_write(count_use)
            self.db.update(MEMORIES, f"id IN ({ids})", {"last_used_at": at})
            self._memory_vectors.record_write(stamp)

    def write_snapshots(self, snapshots: Sequence[MemorySnapshot]) -> None:
        """Write memories back with their embeddings and events, in two writes."""
        if not snapshots:
            return
        rows = [_memory_row(s.memory, s.vector) for s in snapshots]
        events = [_event_row(e) for s in snapshots for e in s.events]
        with self.db.lock:
            with self.db.writing(MEMORIES) as table:
                table.add(rows)
            self._memory_vectors.record_write(lambda cache: cache.append(rows))
            if events:
                with self.db.writing(MEMORY_EVENTS) as table:
                    table.add(events)

    def memory_vectors(self, memory_ids: Sequence[str]) -> dict[str, list[float]]:
        """The stored embeddings of some memories (export and undo keep them as they are)."""
        if not memory_ids:
            return {}
        where = "id IN (" + ", ".join(quote(i) for i in memory_ids) + ")"
        rows = self.db.table(MEMORIES).search().where(where).select(["id", "vector"])
        return {r["id"]: [float(x) for x in r["vector"]] for r in rows.limit(None).to_list()}

    # -- events ----------------------------------------------------------------

    def record_event(self, event: MemoryEvent) -> None:
        with self.db.writing(MEMORY_EVENTS) as table:
            table.add([_event_row(event)])

    def events(self, memory_id: str) -> list[MemoryEvent]:
        rows = self.db.rows(MEMORY_EVENTS, f"memory_id = {quote(memory_id)}")
        events = [
            MemoryEvent(
                id=r["id"],
                memory_id=r["memory_id"],
                action=r["action"],
                at=utc(r["at"]),
                reason=r["reason"],
                source_ids=tuple(r["source_ids"] or ()),
                detail=r["detail"],
            )
            for r in rows
        ]
        return sorted(events, key=lambda e: e.at)

    # -- signals ------------------------------------------------------------------

    def record_signal(self, signal: Signal) -> None:
        row = {f.name: getattr(signal, f.name) for f in fields(Signal)}
        with self.db.writing(SIGNALS) as table:
            table.add([row])

    def signals(self, kind: SignalKind | None = None) -> list[Signal]:
        where = f"kind = {quote(kind)}" if kind else None
        found = [Signal(**{**row, "at": utc(row["at"])}) for row in self.db.rows(SIGNALS, where)]
        return sorted(found, key=lambda s: s.at)

    # -- message index -----------------------------------------------------------

    def index_messages(
        self, messages: Sequence[Message], texts: Sequence[str], vectors: Sequence[Sequence[float]]
    ) -> None:
        """Make messages searchable by meaning and words (texts carry speaker and date)."""
        rows = [
            {
                "id": m.id,
                "conversation_id": m.conversation_id,
                "role": m.role,
                "speaker": m.speaker,
                "text": text,
                "created_at": m.created_at,
                "vector": list(vector),
            }
            for m, text, vector in zip(messages, texts, vectors, strict=True)
        ]
        if not rows:
            return
        with self.db.lock:
            with self.db.writing(MESSAGE_INDEX) as table:
                table.add(rows)
            self._message_vectors.record_write(lambda cache: cache.append(rows))

    def indexed_message_ids(self) -> set[str]:
        return set(self._message_vectors.fresh().ids)

    def nearest_messages(
        self, vector: Sequence[float], k: int, exclude_conversation: str | None = None
    ) -> list[Scored[IndexedMessage]]:
        cache = self._message_vectors.fresh()
        conversations = cache.values["conversation_id"]
        top = cache.top(vector, k, lambda i: conversations[i] != exclude_conversation)
        return [Scored(_indexed(cache.row(i)), score) for i, score in top]

    def keyword_messages(
        self, text: str, k: int, exclude_conversation: str | None = None
    ) -> list[Scored[IndexedMessage]]:
        cache = self._message_vectors.fresh()
        conversations = cache.values["conversation_id"]
        top = cache.keyword_top(text, k, lambda i: conversations[i] != exclude_conversation)
        return [Scored(_indexed(cache.row(i)), score) for i, score in top]
