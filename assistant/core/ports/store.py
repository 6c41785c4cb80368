"""The Store port: what the core needs from persistence, with no database types."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from assistant.core.records import (
    Conversation,
    Memory,
    MemoryEvent,
    MemorySnapshot,
    MemoryStatus,
    Message,
    MessageStatus,
    Signal,
    SignalKind,
)


class Store(Protocol):
    """Conversations and messages on disk."""

    def schema_version(self) -> int:
        """The schema version the store is at."""
        ...

    def save_conversation(self, conversation: Conversation) -> None:
        """Insert or replace a conversation."""
        ...

    def get_conversation(self, conversation_id: str) -> Conversation:
        """Return one conversation, or raise NotFoundError."""
        ...

    def list_conversations(self, query: str = "") -> list[Conversation]:
        """Conversations, newest first; `query` filters by title or message text."""
        ...

    def delete_conversation(self, conversation_id: str) -> None:
        """Delete a conversation for real: `forget((), [conversation_id])`."""
        ...

    def forget(self, memory_ids: Sequence[str], conversation_ids: Sequence[str]) -> None:
        """Erase memories and conversations, and every copy of their text, from disk."""
        ...

    def forget_everything(self) -> None:
        """Erase every conversation, message, memory, event and signal from disk."""
        ...

    def save_conversations(self, conversations: Sequence[Conversation]) -> None:
        """Insert or replace many conversations in one write."""
        ...

    def existing_message_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of `ids` are already stored."""
        ...

    def add_messages(self, messages: Sequence[Message]) -> None:
        """Append messages."""
        ...

    def get_message(self, message_id: str) -> Message:
        """Return one message, or raise NotFoundError."""
        ...

    def list_messages(self, conversation_id: str, include_inactive: bool = False) -> list[Message]:
        """A conversation's messages in order."""
        ...

    def set_message_status(self, message_ids: Sequence[str], status: MessageStatus) -> None:
        """Mark messages replaced or edited away (kept for feedback, left out of context)."""
        ...

    def inactive_message_ids(self) -> set[str]:
        """Ids of the messages replaced (a regenerated reply) or edited away."""
        ...

    def drop_cache(self) -> None:
        """Reread conversations and messages from disk from now on: rows were rewritten
        behind this store (a document removal erases replies' quotes of the file)."""
        ...

    def model_replies(self) -> list[Message]:
        """Every reply the model wrote in a chat, in any status, without its context."""
        ...


T = TypeVar("T")


@dataclass(frozen=True)
class Scored(Generic[T]):
    """A search candidate and its raw score (higher is better)."""

    item: T
    score: float


@dataclass(frozen=True)
class IndexedMessage:
    """A message as the search index holds it (text carries speaker and date)."""

    id: str
    conversation_id: str
    role: str
    speaker: str
    text: str
    created_at: datetime


class MemoryStore(Protocol):
    """Memories, their events, and the message index."""

    def add_memory(self, memory: Memory, vector: Sequence[float]) -> None: ...

    def get_memory(self, memory_id: str) -> Memory: ...

    def update_memory(self, memory: Memory, vector: Sequence[float] | None = None) -> None: ...

    def list_memories(
        self, statuses: Sequence[MemoryStatus] = ("active",), kind: str | None = None
    ) -> list[Memory]: ...

    def active_with_key(self, key: str) -> list[Memory]: ...

    def nearest_memories(
        self, vector: Sequence[float], k: int, statuses: Sequence[MemoryStatus] = ("active",)
    ) -> list[Scored[Memory]]: ...

    def keyword_memories(
        self, text: str, k: int, statuses: Sequence[MemoryStatus] = ("active",)
    ) -> list[Scored[Memory]]: ...

    def source_message_ids(self) -> set[str]: ...

    def forgotten_sources(self) -> set[str]:
        """Fingerprints of the messages whose memories the user deleted."""
        ...

    def touch_memories(self, memory_ids: Sequence[str], at: datetime) -> None: ...

    embedding_dim: int

    def memory_vectors(self, memory_ids: Sequence[str]) -> dict[str, list[float]]: ...

    def write_snapshots(self, snapshots: Sequence[MemorySnapshot]) -> None: ...

    def record_event(self, event: MemoryEvent) -> None: ...

    def events(self, memory_id: str) -> list[MemoryEvent]: ...

    def record_signal(self, signal: Signal) -> None: ...

    def signals(self, kind: SignalKind | None = None) -> list[Signal]: ...

    def index_messages(
        self, messages: Sequence[Message], texts: Sequence[str], vectors: Sequence[Sequence[float]]
    ) -> None: ...

    def indexed_message_ids(self) -> set[str]:
        """Ids of the messages in the search index (an interrupted import resumes)."""
        ...

    def nearest_messages(
        self, vector: Sequence[float], k: int, exclude_conversation: str | None = None
    ) -> list[Scored[IndexedMessage]]: ...

    def keyword_messages(
        self, text: str, k: int, exclude_conversation: str | None = None
    ) -> list[Scored[IndexedMessage]]: ...
