"""The store's format: the tables, the Arrow schema of each, and the schema version.

The format must not change without a migration (assistant/store/lance_db.py applies
them in order on open); keeping it in one place makes a change to it visible.
"""

from typing import Any

SCHEMA_VERSION = 3
EMBEDDING_DIM = 384
CONVERSATIONS, MESSAGES, META = "conversations", "messages", "meta"
MEMORIES, MEMORY_EVENTS, MESSAGE_INDEX = "memories", "memory_events", "message_index"
SIGNALS = "signals"
DOC_ROOTS, DOC_FILES, DOC_CHUNKS = "doc_roots", "doc_files", "doc_chunks"


def schemas() -> dict[str, Any]:
    """The Arrow schema of every table, at the current version."""
    import pyarrow as pa

    ts = pa.timestamp("us", tz="UTC")
    vector = pa.list_(pa.float32(), EMBEDDING_DIM)
    return {
        META: pa.schema([("key", pa.string()), ("value", pa.string())]),
        CONVERSATIONS: pa.schema(
            [
                ("id", pa.string()),
                ("title", pa.string()),
                ("system_prompt", pa.string()),
                ("created_at", ts),
                ("updated_at", ts),
            ]
        ),
        MESSAGES: pa.schema(
            [
                ("id", pa.string()),
                ("conversation_id", pa.string()),
                ("role", pa.string()),
                ("content", pa.string()),
                ("created_at", ts),
                ("status", pa.string()),
                ("model", pa.string()),
                ("usage", pa.string()),
                ("speaker", pa.string()),
                ("origin", pa.string()),
                ("context", pa.string()),
            ]
        ),
        MEMORIES: pa.schema(
            [
                ("id", pa.string()),
                ("kind", pa.string()),
                ("text", pa.string()),
                ("key", pa.string()),
                ("source_ids", pa.list_(pa.string())),
                ("created_at", ts),
                ("updated_at", ts),
                ("last_used_at", ts),
                ("use_count", pa.int64()),
                ("status", pa.string()),
                ("supersedes", pa.string()),
                ("superseded_by", pa.string()),
                ("confidence", pa.float32()),
                ("vector", vector),
            ]
        ),
        MEMORY_EVENTS: pa.schema(
            [
                ("id", pa.string()),
                ("memory_id", pa.string()),
                ("action", pa.string()),
                ("at", ts),
                ("reason", pa.string()),
                ("source_ids", pa.list_(pa.string())),
                ("detail", pa.string()),
            ]
        ),
        SIGNALS: pa.schema(
            [
                ("id", pa.string()),
                ("kind", pa.string()),
                ("message_id", pa.string()),
                ("question_id", pa.string()),
                ("conversation_id", pa.string()),
                ("at", ts),
                ("reason", pa.string()),
                ("text", pa.string()),
                ("context", pa.string()),
                ("memory_id", pa.string()),
            ]
        ),
        MESSAGE_INDEX: pa.schema(
            [
                ("id", pa.string()),
                ("conversation_id", pa.string()),
                ("role", pa.string()),
                ("speaker", pa.string()),
                ("text", pa.string()),
                ("created_at", ts),
                ("vector", vector),
            ]
        ),
        # The user's indexed documents (assistant/core/documents): new tables need no migration.
        DOC_ROOTS: pa.schema(
            [("path", pa.string()), ("kind", pa.string()), ("added_at", ts), ("synced_at", ts)]
        ),
        DOC_FILES: pa.schema(
            [
                ("path", pa.string()),
                ("root", pa.string()),
                ("file_id", pa.string()),
                ("kind", pa.string()),
                ("size", pa.int64()),
                ("mtime_ns", pa.int64()),
                ("sha256", pa.string()),
                ("chunks", pa.int64()),
                ("indexed_at", ts),
            ]
        ),
        DOC_CHUNKS: pa.schema(
            [
                ("id", pa.string()),
                ("file_id", pa.string()),
                ("path", pa.string()),
                ("heading", pa.string()),
                ("start", pa.int64()),
                ("end", pa.int64()),
                ("text", pa.string()),
                ("vector", vector),
            ]
        ),
    }
