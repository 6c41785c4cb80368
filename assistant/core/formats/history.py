"""Reads chat histories kept elsewhere into records the store can take.

People arrive with months of conversations in other tools; importing them lets the assistant
learn from that history instead of starting blank. Two formats are read: the project's chat
JSONL (one message a line) and a ChatGPT `conversations.json` export. Parsing is pure (no
store, no model), so a bad file fails with a line number before anything is written.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.core.errors import InputError
from assistant.core.ports.chat import Role
from assistant.core.records import Conversation, Message, MessageStatus, title_from

ROLES: dict[str, Role] = {"user": "user", "assistant": "assistant"}
JSONL_FIELDS = ("conversation_id", "id", "role", "content", "created_at")
FORMATS_HINT = "Pass a chat JSONL file or the conversations.json from a ChatGPT export."
JSONL_HINT = (
    'Each line must be one JSON object like {"conversation_id": "c1", "id": "m1", '
    '"role": "user", "content": "hi", "created_at": "2024-05-01T12:00:00"}.'
)
NESTING_HINT = "No chat export nests that deep: check that this is the right file."
UNICODE_HINT = "Save the file again from the tool that made it; lone \\udXXX escapes are invalid."
TIME_HINT = "Write times as ISO 8601, e.g. 2024-05-01T12:00:00 (read as UTC) or with +02:00."
CHATGPT_HINT = "Export your data from ChatGPT again and pass the conversations.json inside it."

Progress = Callable[[int, int], None]


def _no_progress(done: int, total: int) -> None:
    """The default `progress`: nobody is watching."""


@dataclass(frozen=True)
class ImportBatch:
    """What one history file held, ready to store."""

    conversations: list[Conversation]
    messages: list[Message]
    skipped: int
    """Messages left out: empty text, or a role other than user and assistant."""


@dataclass(frozen=True)
class _Draft:
    """A usable ChatGPT message before its place and time in the thread are settled."""

    node: str
    id: str
    role: Role
    content: str
    time: datetime | None


def read_history(path: Path, progress: Progress = _no_progress) -> ImportBatch:
    """Parse a chat JSONL file or a ChatGPT `conversations.json`; `progress(done, total)`."""
    text = _read_text(path)
    if not text.strip():
        raise InputError(f"{path} is empty.", FORMATS_HINT)
    if text.lstrip().startswith("["):
        messages, titles, skipped = _read_chatgpt(path, text, progress)
    else:
        messages, skipped = _read_jsonl(path, text, progress)
        titles = {}
    if not messages:
        raise InputError(
            f"{path} holds no usable messages ({skipped} skipped).",
            "Only user and assistant messages with text are imported.",
        )
    _check_unicode(path, messages, titles)
    return ImportBatch(_conversations(messages, titles), messages, skipped)


def _check_unicode(path: Path, messages: list[Message], titles: dict[str, str]) -> None:
    """Refuse lone surrogates (a JSON `\\ud800` escape) now: the store cannot encode them."""
    for message in messages:
        for text in (message.id, message.conversation_id, message.content, message.speaker):
            _encodable(path, text, f"message {message.id!r}")
    for conversation_id, title in titles.items():
        _encodable(path, conversation_id + title, f"conversation {conversation_id!r}")


def _encodable(path: Path, text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(
            f"{path}, {where}: invalid Unicode (a lone surrogate escape).", UNICODE_HINT
        ) from exc


def _read_text(path: Path) -> str:
    if path.is_dir():
        raise InputError(f"{path} is a directory, not a file.", FORMATS_HINT)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"{path} does not exist.", "Check the path. " + FORMATS_HINT) from exc
    except OSError as exc:
        raise InputError(f"Cannot read {path}: {exc.strerror}.", "Check its permissions.") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{path}, line {line}: not UTF-8 text.", "Save the file as UTF-8 and try again."
        ) from exc


def _read_jsonl(path: Path, text: str, progress: Progress) -> tuple[list[Message], int]:
    # Not splitlines(): it also splits on U+2028, which JSON allows raw inside strings.
    lines = text.split("\n")
    total = len(lines) - (lines[-1].strip() == "")
    messages: list[Message] = []
    first_seen: dict[str, int] = {}
    skipped = 0
    for number, line in enumerate(lines[:total], start=1):
        if line.strip():
            message = _jsonl_message(f"{path}, line {number}", line)
            if message is None:
                skipped += 1
            elif message.id in first_seen:
                raise InputError(
                    f"{path}, line {number}: message id {message.id!r} was already used on "
                    f"line {first_seen[message.id]}.",
                    "Give every message its own id.",
                )
            else:
                first_seen[message.id] = number
                messages.append(message)
        progress(number, total)
    return _in_thread_order(messages), skipped


def _jsonl_message(where: str, line: str) -> Message | None:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: invalid JSON ({exc.msg}).", JSONL_HINT) from exc
    except RecursionError as exc:
        raise InputError(f"{where}: JSON nested too deeply.", NESTING_HINT) from exc
    if not isinstance(row, dict):
        raise InputError(f"{where}: expected a JSON object, got {_kind(row)}.", JSONL_HINT)
    missing = [key for key in JSONL_FIELDS if key not in row]
    if missing:
        raise InputError(f"{where}: missing field {', '.join(missing)}.", JSONL_HINT)
    for key in ("conversation_id", "id", "created_at"):
        if not isinstance(row[key], str) or not row[key].strip():
            raise InputError(f"{where}: {key} must be a non-empty string.", JSONL_HINT)
    for key in ("content", "speaker"):
        if row.get(key) is not None and not isinstance(row[key], str):
            raise InputError(f"{where}: {key} must be a string.", JSONL_HINT)
    created_at = _iso_time(row["created_at"], where)
    role = ROLES.get(row["role"]) if isinstance(row["role"], str) else None
    content = row["content"] or ""
    if role is None or not content.strip():
        return None
    return Message(
        id=row["id"],
        conversation_id=row["conversation_id"],
        role=role,
        content=content,
        created_at=created_at,
        speaker=row.get("speaker") or "",
        origin="import",
    )


def _iso_time(value: str, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise InputError(
            f"{where}: created_at {value!r} is not an ISO 8601 time.", TIME_HINT
        ) from exc
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError as exc:  # year 1 with an offset east of UTC
        raise InputError(f"{where}: created_at {value!r} is out of range.", TIME_HINT) from exc


def _read_chatgpt(
    path: Path, text: str, progress: Progress
) -> tuple[list[Message], dict[str, str], int]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}, line {exc.lineno}: invalid JSON ({exc.msg}).", CHATGPT_HINT
        ) from exc
    except RecursionError as exc:
        raise InputError(f"{path}: JSON nested too deeply.", NESTING_HINT) from exc
    if not data:
        raise InputError(f"{path} holds no conversations.", CHATGPT_HINT)
    messages: list[Message] = []
    titles: dict[str, str] = {}
    message_ids: set[str] = set()
    skipped = 0
    for index, item in enumerate(data, start=1):
        where = f"{path}, conversation {index}"
        conversation_id, title, found, unusable = _chatgpt_conversation(where, item)
        if conversation_id in titles:
            raise InputError(f"{where}: id {conversation_id!r} appears twice.", CHATGPT_HINT)
        for message in found:
            if message.id in message_ids:
                raise InputError(f"{where}: message id {message.id!r} appears twice.", CHATGPT_HINT)
            message_ids.add(message.id)
        titles[conversation_id] = title
        messages += found
        skipped += unusable
        progress(index, len(data))
    return messages, titles, skipped


def _chatgpt_conversation(where: str, item: object) -> tuple[str, str, list[Message], int]:
    """One exported conversation: its id, title, messages in order, and the unusable count."""
    if not isinstance(item, dict):
        raise InputError(f"{where}: expected a JSON object, got {_kind(item)}.", CHATGPT_HINT)
    conversation_id = item.get("id") or item.get("conversation_id")
    if not isinstance(conversation_id, str):
        raise InputError(f"{where}: missing field id.", CHATGPT_HINT)
    where = f"{where} ({conversation_id})"
    mapping = item.get("mapping")
    if not isinstance(mapping, dict):
        raise InputError(f"{where}: missing field mapping.", CHATGPT_HINT)
    title = item.get("title")
    title = title_from(title) if isinstance(title, str) else ""
    drafts: list[_Draft] = []
    skipped = 0
    for node_id, node in mapping.items():
        message = node.get("message") if isinstance(node, dict) else node
        if message is None:
            continue  # the root, and placeholder nodes without a message
        draft = _chatgpt_draft(str(node_id), message, where)
        if draft is None:
            skipped += 1
        else:
            drafts.append(draft)
    if not drafts:
        return conversation_id, title, [], skipped

    path = _current_path(mapping, item.get("current_node"))
    if all(d.time is not None for d in drafts):
        drafts.sort(key=lambda d: d.time or datetime.min.replace(tzinfo=UTC))
    elif path is not None:
        rank = {node: i for i, node in enumerate(path)}
        drafts.sort(key=lambda d: rank.get(d.node, len(rank)))
    start = _epoch(item.get("create_time"), where)
    known = start or next((d.time for d in drafts if d.time is not None), None)
    if known is None:
        raise InputError(f"{where}: no create_time on it or on any message.", CHATGPT_HINT)
    on_path = set(path) if path is not None else {d.node for d in drafts}
    messages = []
    for draft in drafts:
        known = draft.time or known
        # Branches off the current node are what ChatGPT users regenerated or edited away;
        # keep them under the statuses the core gives its own regenerations and edits.
        status: MessageStatus = "active"
        if draft.node not in on_path:
            status = "replaced" if draft.role == "assistant" else "edited"
        messages.append(
            Message(
                id=draft.id,
                conversation_id=conversation_id,
                role=draft.role,
                content=draft.content,
                created_at=known,
                status=status,
                speaker="",
                origin="import",
            )
        )
    return conversation_id, title, messages, skipped


def _chatgpt_draft(node_id: str, message: object, where: str) -> _Draft | None:
    if not isinstance(message, dict):
        return None
    author = message.get("author")
    role_name = author.get("role") if isinstance(author, dict) else None
    role = ROLES.get(role_name) if isinstance(role_name, str) else None
    content = message.get("content")
    if role is None or not isinstance(content, dict) or content.get("content_type") != "text":
        return None
    parts = content.get("parts")
    text = "\n".join(p for p in parts if isinstance(p, str)) if isinstance(parts, list) else ""
    if not text.strip():
        return None
    message_id = message.get("id")
    return _Draft(
        node=node_id,
        id=message_id if isinstance(message_id, str) and message_id else node_id,
        role=role,
        content=text,
        time=_epoch(message.get("create_time"), f"{where}, message {node_id}"),
    )


def _current_path(mapping: dict[Any, Any], current: object) -> list[str] | None:
    """Node ids from the root down to `current_node`: the branch the user last saw."""
    if not isinstance(current, str) or current not in mapping:
        return None
    chain: list[str] = []
    seen: set[str] = set()
    node_id: object = current
    while isinstance(node_id, str) and node_id in mapping and node_id not in seen:
        chain.append(node_id)
        seen.add(node_id)
        node = mapping[node_id]
        node_id = node.get("parent") if isinstance(node, dict) else None
    return chain[::-1]


def _epoch(value: object, where: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{where}: create_time {value!r} is not a Unix time.", CHATGPT_HINT)
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise InputError(f"{where}: create_time {value!r} is out of range.", CHATGPT_HINT) from exc


def _in_thread_order(messages: list[Message]) -> list[Message]:
    """Grouped by conversation (first seen first), oldest first; ties keep file order."""
    groups: dict[str, list[Message]] = {}
    for message in messages:
        groups.setdefault(message.conversation_id, []).append(message)
    return [m for group in groups.values() for m in sorted(group, key=lambda m: m.created_at)]


def _conversations(messages: list[Message], titles: dict[str, str]) -> list[Conversation]:
    groups: dict[str, list[Message]] = {}
    for message in messages:
        groups.setdefault(message.conversation_id, []).append(message)
    conversations = []
    for conversation_id, group in groups.items():
        active = [m for m in group if m.status == "active"] or group
        opener = next((m for m in active if m.role == "user"), active[0])
        times = [m.created_at for m in group]
        conversations.append(
            Conversation(
                id=conversation_id,
                title=titles.get(conversation_id) or title_from(opener.content),
                system_prompt="",
                created_at=min(times),
                updated_at=max(times),
                message_count=len(active),
            )
        )
    return conversations


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    return names.get(type(value), "a number" if isinstance(value, int | float) else "null")
