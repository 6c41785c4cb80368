"""The records the assistant persists: conversations and messages.

Plain frozen dataclasses, so the core, the shells and the store agree on one shape
without any of them importing a database driver.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from assistant.llm.backend import Role

MessageStatus = Literal["active", "replaced", "edited"]
TITLE_CHARS = 60


def new_id() -> str:
    """A fresh random id (hex, 32 chars)."""
    return uuid.uuid4().hex


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


def title_from(text: str) -> str:
    """A one-line title from the first user message."""
    line = " ".join(text.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1].rstrip() + "…"
