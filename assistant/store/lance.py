"""Conversations and messages in LanceDB: the Store port's adapter.

The few conversations being chatted in are kept in memory, written through: a turn
reads its conversation and history, and a LanceDB query for that costs 10-25 ms of a
time-to-first-token budget of about 100 ms (measured on the 2-core CPU).
"""

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from assistant.core.errors import NotFoundError
from assistant.core.records import Conversation, Message, MessageStatus
from assistant.store.erase import erase, erase_everything
from assistant.store.lance_db import (
    CONVERSATIONS,
    MESSAGES,
    LanceDatabase,
    quote,
    utc,
)

HOT_CONVERSATIONS = 8


class LanceStore:
    """The Store port over a LanceDB directory."""

    def __init__(self, db: LanceDatabase) -> None:
        self.db = db
        self._cache_lock = threading.Lock()
        self._rows: dict[str, dict[str, Any]] = {}
        self._histories: OrderedDict[str, list[Message]] = OrderedDict()
        # Bumped by every message write: a read that raced a write is not cached.
        self._generation = 0

    def _remember_history(
        self, conversation_id: str, messages: list[Message], generation: int
    ) -> None:
        with self._cache_lock:
            if generation != self._generation:
                return
            self._histories[conversation_id] = messages
            self._histories.move_to_end(conversation_id)
            while len(self._histories) > HOT_CONVERSATIONS:
                stale, _ = self._histories.popitem(last=False)
                self._rows.pop(stale, None)

    def schema_version(self) -> int:
        return self.db.schema_version()

    # -- conversations -------------------------------------------------------

    def save_conversation(self, conversation: Conversation) -> None:
        self.save_conversations([conversation])

    def save_conversations(self, conversations: Sequence[Conversation]) -> None:
        """Insert or replace many conversations in one write (import)."""
        if not conversations:
            return
        rows: list[dict[str, Any]] = [
            {
                "id": c.id,
                "title": c.title,
                "system_prompt": c.system_prompt,
                "created_at": c.created_at,
                "updated_at": c.updated_at,
            }
            for c in conversations
        ]
        self.db.upsert(CONVERSATIONS, "id", rows)
        with self._cache_lock:
            for row in rows:
                if row["id"] in self._histories:
                    self._rows[row["id"]] = row

    def _conversation(self, row: dict[str, Any], count: int) -> Conversation:
        return Conversation(
            id=row["id"],
            title=row["title"],
            system_prompt=row["system_prompt"],
            created_at=utc(row["created_at"]),
            updated_at=utc(row["updated_at"]),
            message_count=count,
        )

    def get_conversation(self, conversation_id: str) -> Conversation:
        with self._cache_lock:
            row = self._rows.get(conversation_id)
            history = self._histories.get(conversation_id)
        if row is not None and history is not None:
            return self._conversation(row, len(history))
        rows = self.db.rows(CONVERSATIONS, f"id = {quote(conversation_id)}")
        if not rows:
            raise NotFoundError(
                f"no conversation with id {conversation_id}",
                "list them with `assistant conversations list`",
            )
        history = self.list_messages(conversation_id)
        with self._cache_lock:
            if conversation_id in self._histories:
                self._rows[conversation_id] = rows[0]
        return self._conversation(rows[0], len(history))

    def list_conversations(self, query: str = "") -> list[Conversation]:
        messages = self.db.table(MESSAGES).search().where("status = 'active'")
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
            for row in self.db.rows(CONVERSATIONS)
            if not needle or row["id"] in matches or needle in row["title"].casefold()
        ]
        return sorted(result, key=lambda c: c.updated_at, reverse=True)

    def delete_conversation(self, conversation_id: str) -> None:
        self.forget((), (conversation_id,))

    def forget(self, memory_ids: Sequence[str], conversation_ids: Sequence[str]) -> None:
        """Erase memories and conversations for real (see assistant/store/erase.py)."""
        erase(self.db, memory_ids, conversation_ids)
        # Cached messages carry contexts that may quote what was erased.
        self.drop_cache()

    def forget_everything(self) -> None:
        """Erase every conversation, message, memory, event and signal."""
        erase_everything(self.db)
        self.drop_cache()

    def drop_cache(self) -> None:
        """Reread conversations and messages from disk (another writer rewrote some)."""
        with self._cache_lock:
            self._generation += 1  # a read that raced the erase is not cached either
            self._histories.clear()
            self._rows.clear()

    # -- messages ------------------------------------------------------------

    def add_messages(self, messages: Sequence[Message]) -> None:
        if not messages:
            return
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
                "speaker": m.speaker,
                "origin": m.origin,
                "context": m.context,
            }
            for m in messages
        ]
        with self.db.writing(MESSAGES) as table:
            table.add(rows)
        with self._cache_lock:
            self._generation += 1
            for message in messages:
                history = self._histories.get(message.conversation_id)
                if history is None or message.status != "active":
                    continue
                if history and message.created_at < history[-1].created_at:
                    del self._histories[message.conversation_id]  # out of order: reread
                else:
                    history.append(message)

    def existing_message_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of `ids` are already stored (for idempotent import)."""
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ", ".join(quote(i) for i in ids[start : start + 500])
            query = self.db.table(MESSAGES).search().where(f"id IN ({chunk})").select(["id"])
            found.update(row["id"] for row in query.limit(None).to_list())
        return found

    def _message(self, row: dict[str, Any]) -> Message:
        return Message(
            id=row["id"],
            conversation_id=row["conversation_id"],
            role=row["role"],
            content=row["content"],
            created_at=utc(row["created_at"]),
            status=row["status"],
            model=row["model"],
            usage=json.loads(row["usage"] or "{}"),
            speaker=row.get("speaker") or "",
            origin=row.get("origin") or "chat",
            context=row.get("context") or "",
        )

    def get_message(self, message_id: str) -> Message:
        rows = self.db.rows(MESSAGES, f"id = {quote(message_id)}")
        if not rows:
            raise NotFoundError(f"no message with id {message_id}")
        return self._message(rows[0])

    def list_messages(self, conversation_id: str, include_inactive: bool = False) -> list[Message]:
        with self._cache_lock:
            cached = None if include_inactive else self._histories.get(conversation_id)
            generation = self._generation
        if cached is not None:
            return list(cached)
        where = f"conversation_id = {quote(conversation_id)}"
        if not include_inactive:
            where += " AND status = 'active'"
        messages = [self._message(row) for row in self.db.rows(MESSAGES, where)]
        messages.sort(key=lambda m: m.created_at)
        if not include_inactive:
            self._remember_history(conversation_id, list(messages), generation)
        return messages

    def model_replies(self) -> list[Message]:
        """Every reply the model wrote in a chat (the learning report counts bad ones)."""
        table = self.db.table(MESSAGES)
        columns = [c for c in table.schema.names if c != "context"]
        query = table.search().where("role = 'assistant' AND origin = 'chat'").select(columns)
        return [self._message(row) for row in query.limit(None).to_list()]

    def inactive_message_ids(self) -> set[str]:
        query = self.db.table(MESSAGES).search().where("status != 'active'").select(["id"])
        return {row["id"] for row in query.limit(None).to_list()}

    def set_message_status(self, message_ids: Sequence[str], status: MessageStatus) -> None:
        if not message_ids:
            return
        ids = ", ".join(quote(i) for i in message_ids)
        with self._cache_lock:
            self._generation += 1
            self._histories.clear()
            self._rows.clear()
        with self.db.writing(MESSAGES) as table:
            table.update(where=f"id IN ({ids})", values={"status": status})
