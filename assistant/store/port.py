"""The Store port: what the core needs from persistence, with no database types."""

from collections.abc import Sequence
from typing import Protocol

from assistant.records import Conversation, Message, MessageStatus


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
        """Delete a conversation and its messages."""
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
