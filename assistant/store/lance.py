"""The LanceDB store: conversations and messages on disk, with a schema version.

LanceDB is imported on first use, not at import time, so building the store is free
and the TUI paints before the database driver loads. Every table is created from an
explicit Arrow schema, and the `meta` table records the schema version from day one so
that later migrations know where they start.
"""

import json
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.errors import NotFoundError, StoreError
from assistant.paths import ensure_private_dir
from assistant.records import Conversation, Message, MessageStatus

SCHEMA_VERSION = 1
CONVERSATIONS, MESSAGES, META = "conversations", "messages", "meta"
# Version N -> N+1 upgrades, applied in order on open. Empty while there is only v1.
MIGRATIONS: dict[int, Callable[[Any], None]] = {}


def _schemas() -> dict[str, Any]:
    import pyarrow as pa

    ts = pa.timestamp("us", tz="UTC")
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
            ]
        ),
    }


def quote(value: str) -> str:
    """A SQL string literal for a LanceDB filter."""
    return "'" + value.replace("'", "''") + "'"


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class LanceStore:
    """The Store port over a LanceDB directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: Any = None
        self._tables: dict[str, Any] = {}
        self._lock = threading.RLock()

    # -- opening -------------------------------------------------------------

    def _table(self, name: str) -> Any:
        with self._lock:
            if self._db is None:
                self._open()
            return self._tables[name]

    def _open(self) -> None:
        try:
            import lancedb

            ensure_private_dir(self.path)
            db = lancedb.connect(str(self.path))
            for name, schema in _schemas().items():
                self._tables[name] = db.create_table(name, schema=schema, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot open the store at {self.path}: {exc}",
                "check that the data dir is writable (`assistant paths`)",
            ) from None
        self._db = db
        self._migrate()

    def _migrate(self) -> None:
        version = self._read_version()
        if version is None:
            self._write_version(SCHEMA_VERSION)
            return
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the store at {self.path} has schema v{version}, "
                f"newer than this app's v{SCHEMA_VERSION}",
                "upgrade the app",
            )
        while version < SCHEMA_VERSION:
            MIGRATIONS[version](self._db)
            version += 1
            self._write_version(version)

    def _read_version(self) -> int | None:
        rows = self._tables[META].search().where("key = 'schema_version'").to_list()
        return int(rows[0]["value"]) if rows else None

    def _write_version(self, version: int) -> None:
        meta = self._tables[META]
        meta.delete("key = 'schema_version'")
        meta.add([{"key": "schema_version", "value": str(version)}])

    def schema_version(self) -> int:
        self._table(META)
        version = self._read_version()
        assert version is not None
        return version

    # -- queries -------------------------------------------------------------

    def _rows(self, name: str, where: str | None = None) -> list[dict[str, Any]]:
        query = self._table(name).search()
        if where:
            query = query.where(where)
        rows: list[dict[str, Any]] = query.limit(None).to_list()
        return rows

    # -- conversations -------------------------------------------------------

    def save_conversation(self, conversation: Conversation) -> None:
        row = {
            "id": conversation.id,
            "title": conversation.title,
            "system_prompt": conversation.system_prompt,
            "created_at": conversation.created_at,
            "updated_at": conversation.updated_at,
        }
        table = self._table(CONVERSATIONS)
        with self._lock:
            (
                table.merge_insert("id")
                .when_matched_update_all()
                .when_not_matched_insert_all()
                .execute([row])
            )

    def _conversation(self, row: dict[str, Any], count: int) -> Conversation:
        return Conversation(
            id=row["id"],
            title=row["title"],
            system_prompt=row["system_prompt"],
            created_at=_utc(row["created_at"]),
            updated_at=_utc(row["updated_at"]),
            message_count=count,
        )

    def get_conversation(self, conversation_id: str) -> Conversation:
        rows = self._rows(CONVERSATIONS, f"id = {quote(conversation_id)}")
        if not rows:
            raise NotFoundError(
                f"no conversation with id {conversation_id}",
                "list them with `assistant conversations list`",
            )
        count = self._table(MESSAGES).count_rows(
            f"conversation_id = {quote(conversation_id)} AND status = 'active'"
        )
        return self._conversation(rows[0], count)

    def list_conversations(self, query: str = "") -> list[Conversation]:
        messages = self._table(MESSAGES).search().where("status = 'active'")
        counts: dict[str, int] = {}
        matches: set[str] = set()
        needle = query.casefold().strip()
        for row in messages.select(["conversation_id", "content"]).limit(None).to_list():
            cid = row["conversation_id"]
            counts[cid] = counts.get(cid, 0) + 1
            if needle and needle in row["content"].casefold():
                matches.add(cid)
        result = [
            self._conversation(row, counts.get(row["id"], 0))
            for row in self._rows(CONVERSATIONS)
            if not needle or row["id"] in matches or needle in row["title"].casefold()
        ]
        return sorted(result, key=lambda c: c.updated_at, reverse=True)

    def delete_conversation(self, conversation_id: str) -> None:
        with self._lock:
            self._table(MESSAGES).delete(f"conversation_id = {quote(conversation_id)}")
            self._table(CONVERSATIONS).delete(f"id = {quote(conversation_id)}")

    # -- messages ------------------------------------------------------------

    def add_messages(self, messages: Sequence[Message]) -> None:
        rows = [
            {
                "id": m.id,
                "conversation_id": m.conversation_id,
                "role": m.role,
                "content": m.content,
                "created_at": m.created_at,
                "status": m.status,
                "model": m.model,
                "usage": json.dumps(m.usage),
            }
            for m in messages
        ]
        with self._lock:
            self._table(MESSAGES).add(rows)

    def _message(self, row: dict[str, Any]) -> Message:
        return Message(
            id=row["id"],
            conversation_id=row["conversation_id"],
            role=row["role"],
            content=row["content"],
            created_at=_utc(row["created_at"]),
            status=row["status"],
            model=row["model"],
            usage=json.loads(row["usage"] or "{}"),
        )

    def get_message(self, message_id: str) -> Message:
        rows = self._rows(MESSAGES, f"id = {quote(message_id)}")
        if not rows:
            raise NotFoundError(f"no message with id {message_id}")
        return self._message(rows[0])

    def list_messages(self, conversation_id: str, include_inactive: bool = False) -> list[Message]:
        where = f"conversation_id = {quote(conversation_id)}"
        if not include_inactive:
            where += " AND status = 'active'"
        messages = [self._message(row) for row in self._rows(MESSAGES, where)]
        return sorted(messages, key=lambda m: m.created_at)

    def set_message_status(self, message_ids: Sequence[str], status: MessageStatus) -> None:
        if not message_ids:
            return
        ids = ", ".join(quote(i) for i in message_ids)
        with self._lock:
            self._table(MESSAGES).update(where=f"id IN ({ids})", values={"status": status})
