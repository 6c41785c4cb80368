"""The records the assistant persists: conversations and messages.

Plain frozen dataclasses, so the core, the shells and the store agree on one shape
without any of them importing a database driver.
"""

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from assistant.core.ports.chat import Role

MessageStatus = Literal["active", "replaced", "edited"]
MessageOrigin = Literal["chat", "import"]
MemoryKind = Literal["preference", "fact", "correction", "rule"]
# A rule learned from feedback is `proposed` until the user keeps it, `discarded` if not.
MemoryStatus = Literal["active", "superseded", "deleted", "proposed", "discarded"]
SignalKind = Literal["up", "down", "correction", "regenerate", "reformulation"]
LearningLevel = Literal["off", "memory", "feedback", "full"]
LEARNING_LEVELS: tuple[LearningLevel, ...] = ("off", "memory", "feedback", "full")
# The levels that record feedback and use corrections and rules.
FEEDBACK_LEVELS: tuple[LearningLevel, ...] = ("feedback", "full")
MEMORY_KINDS: tuple[MemoryKind, ...] = ("preference", "fact", "correction", "rule")
TITLE_CHARS = 60


def new_id() -> str:
    """A fresh random id (hex, 32 chars)."""
    return uuid.uuid4().hex


def source_fingerprint(message_id: str) -> str:
    """A one-way fingerprint of a message id: enough to know the message again when an
    import brings it back, and nothing of what it said."""
    return hashlib.sha256(message_id.encode()).hexdigest()


def utc_now() -> datetime:
    """Timezone-aware now, the only clock records use."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Conversation:
    """A chat thread with its own system prompt."""

    id: str
    title: str
    system_prompt: str
    created_at: datetime
    updated_at: datetime
    message_count: int = 0


@dataclass(frozen=True)
class Message:
    """One persisted message. `status` is `active` unless regenerated or edited away."""

    id: str
    conversation_id: str
    role: Role
    content: str
    created_at: datetime
    status: MessageStatus = "active"
    model: str = ""
    usage: dict[str, float | int | bool] = field(default_factory=dict)
    speaker: str = ""
    origin: MessageOrigin = "chat"
    # For a reply: what was injected into its prompt (JSON), so feedback can record it.
    context: str = ""


@dataclass(frozen=True)
class Memory:
    """One thing learned about the user, in the third person, with its provenance.

    `key` names the slot a memory fills ("location", "diet", "likes:pizza"): a new
    memory with the same key supersedes the old one instead of piling up beside it.
    """

    id: str
    kind: MemoryKind
    text: str
    key: str
    source_ids: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    status: MemoryStatus = "active"
    last_used_at: datetime | None = None
    use_count: int = 0
    supersedes: str = ""
    superseded_by: str = ""
    confidence: float = 1.0


@dataclass(frozen=True)
class MemoryEvent:
    """A change to a memory: what happened, when, why, and from which messages."""

    id: str
    memory_id: str
    action: str
    at: datetime
    reason: str
    source_ids: tuple[str, ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class MemorySnapshot:
    """A memory exactly as stored: its row, embedding and history (undo and export)."""

    memory: Memory
    vector: tuple[float, ...]
    events: tuple[MemoryEvent, ...] = ()


@dataclass(frozen=True)
class Signal:
    """A quality signal on one reply: thumbs, a correction, a regenerate, a rewording.

    Kept with the reply and question ids, the time, and the context the reply was given,
    so that later analysis can tell what the assistant knew when it got it wrong.
    """

    id: str
    kind: SignalKind
    message_id: str
    conversation_id: str
    at: datetime
    question_id: str = ""
    reason: str = ""
    text: str = ""
    context: str = ""
    memory_id: str = ""


def title_from(text: str) -> str:
    """A one-line title from the first user message."""
    line = " ".join(text.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1].rstrip() + "…"
