"""A conversation as a file the user keeps: Markdown to read, JSON to process.

The renderers are pure functions of the stored records, so the CLI
(`assistant conversations export`) and the TUI's palette write the same bytes. The
one writer is atomic: a crash leaves the old file or the new one, never half of it.
"""

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from assistant.core.errors import InputError
from assistant.core.records import Conversation, Message

TranscriptFormat = Literal["md", "json"]
FORMATS: tuple[TranscriptFormat, ...] = ("md", "json")
FORMAT = "assistant-conversation"
VERSION = 1
_SPEAKERS = {"user": "You", "assistant": "Assistant", "system": "System"}
_SLUG_CHARS = 40


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M %Z").strip()


def to_markdown(conversation: Conversation, messages: Sequence[Message]) -> str:
    """The conversation as Markdown: a title, its system prompt, then each message."""
    lines = [
        f"# {conversation.title or 'Conversation'}",
        "",
        f"- Conversation: `{conversation.id}`",
        f"- Started: {_when(conversation.created_at)}",
    ]
    if conversation.system_prompt:
        quoted = "\n".join(f"> {line}".rstrip() for line in conversation.system_prompt.split("\n"))
        lines += ["", "System prompt:", "", quoted]
    for message in messages:
        speaker = _SPEAKERS.get(message.role, message.role)
        model = f" ({message.model})" if message.role == "assistant" and message.model else ""
        lines += ["", f"## {speaker}{model} · {_when(message.created_at)}", ""]
        lines.append(message.content.rstrip("\n"))
    return "\n".join(lines) + "\n"


def to_json(conversation: Conversation, messages: Sequence[Message]) -> str:
    """The conversation as one JSON document (the message fields of `conversations show`)."""
    document = {
        "format": FORMAT,
        "version": VERSION,
        "conversation": {
            "id": conversation.id,
            "title": conversation.title,
            "system_prompt": conversation.system_prompt,
            "created_at": conversation.created_at.isoformat(),
            "updated_at": conversation.updated_at.isoformat(),
        },
        "messages": [
            {
                "id": m.id,
                "role": m.role,
                "content": m.content,
                "created_at": m.created_at.isoformat(),
                "model": m.model,
            }
            for m in messages
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def render(conversation: Conversation, messages: Sequence[Message], fmt: str) -> str:
    """The conversation in `fmt` ("md" or "json")."""
    if fmt == "md":
        return to_markdown(conversation, messages)
    if fmt == "json":
        return to_json(conversation, messages)
    raise InputError(f"unknown export format {fmt!r}", "use md or json")


def file_name(conversation: Conversation, fmt: str) -> str:
    """A readable, stable file name: the title's words and the id's start."""
    words = re.findall(r"[a-z0-9]+", conversation.title.casefold())
    slug = "-".join(words)[:_SLUG_CHARS].strip("-") or "conversation"
    return f"{slug}-{conversation.id[:8]}.{fmt}"
