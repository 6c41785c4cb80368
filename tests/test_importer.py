"""Importing chat histories: the project's JSONL, ChatGPT exports, and every bad input."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from assistant.core.errors import InputError
from assistant.core.formats.history import ImportBatch, read_history
from tests.bench.report import DATA

LOCOMO = DATA / "chats.jsonl"


def row(**overrides: Any) -> dict[str, Any]:
    base = {
        "conversation_id": "c1",
        "id": "m1",
        "role": "user",
        "speaker": "Ana",
        "content": "I moved to Lisbon last spring.",
        "created_at": "2024-05-01T12:00:00",
    }
    return base | overrides


def write_jsonl(tmp_path: Path, rows: list[Any], name: str = "chats.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def msg(
    role: str, text: str | list[Any], time: float | None, content_type: str = "text"
) -> dict[str, Any]:
    parts = text if isinstance(text, list) else [text]
    return {
        "author": {"role": role},
        "create_time": time,
        "content": {"content_type": content_type, "parts": parts},
    }


def node(
    node_id: str, parent: str | None, children: list[str], message: dict[str, Any] | None = None
) -> dict[str, Any]:
    if message is not None:
        message = {"id": node_id, **message}
    return {"id": node_id, "message": message, "parent": parent, "children": children}


def chatgpt_conversation(times: bool = True) -> dict[str, Any]:
    """root -> system -> u1 -> (a1 regenerated as a2); current branch ends at a2."""

    def t(x: float) -> float | None:
        return x if times else None

    nodes = [
        node("root", None, ["sys"]),
        node("sys", "root", ["u1"], msg("system", "You are ChatGPT.", t(1714564800.0))),
        node(
            "u1", "sys", ["a1", "a2", "img"], msg("user", "Plan a trip to Porto", t(1714564801.0))
        ),
        node("a1", "u1", [], msg("assistant", "Sure, day one:", t(1714564802.0))),
        node("img", "u1", [], msg("assistant", [{"asset_pointer": "file://x"}], t(1714564803.0))),
        node("a2", "u1", ["tool"], msg("assistant", ["Day one: ", "Ribeira."], t(1714564804.0))),
        node("tool", "a2", [], msg("tool", "search results", t(1714564805.0), "code")),
    ]
    return {
        "id": "conv-1",
        "title": "Porto trip",
        "create_time": 1714564800.0,
        "current_node": "a2",
        "mapping": {n["id"]: n for n in nodes},
    }


def write_chatgpt(tmp_path: Path, conversations: Any) -> Path:
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(conversations, indent=2), encoding="utf-8")
    return path


def import_error(path: Path) -> InputError:
    with pytest.raises(InputError) as caught:
        read_history(path)
    assert caught.value.hint
    return caught.value


# --- JSONL ---------------------------------------------------------------------------------


def test_jsonl_keeps_ids_times_speakers_and_marks_origin(tmp_path: Path) -> None:
    rows = [
        row(),
        row(id="m2", role="assistant", speaker="Bo", content="How is it?"),
        row(conversation_id="c2", id="m3", content="Second thread", speaker=None),
    ]
    del rows[2]["speaker"]
    batch = read_history(write_jsonl(tmp_path, rows))

    assert [m.id for m in batch.messages] == ["m1", "m2", "m3"]
    first = batch.messages[0]
    assert first.created_at == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert first.origin == "import"
    assert first.status == "active"
    assert (first.speaker, batch.messages[1].speaker, batch.messages[2].speaker) == (
        "Ana",
        "Bo",
        "",
    )
    assert [c.id for c in batch.conversations] == ["c1", "c2"]
    assert batch.conversations[0].title == "I moved to Lisbon last spring."
    assert batch.conversations[0].system_prompt == ""
    assert batch.conversations[0].message_count == 2
    assert batch.skipped == 0


def test_jsonl_title_is_first_user_message_and_times_span_the_thread(tmp_path: Path) -> None:
    rows = [
        row(id="m1", role="assistant", content="Hello!", created_at="2024-05-01T10:00:00Z"),
        row(id="m2", content="Late question", created_at="2024-05-01T14:00:00+02:00"),
        row(id="m3", content="Early question", created_at="2024-05-01T11:00:00"),
    ]
    batch = read_history(write_jsonl(tmp_path, rows))
    conversation = batch.conversations[0]

    assert [m.id for m in batch.messages] == ["m1", "m3", "m2"]  # oldest first
    assert batch.messages[2].created_at == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert conversation.title == "Early question"
    assert conversation.created_at == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert conversation.updated_at == datetime(2024, 5, 1, 12, tzinfo=UTC)


def test_jsonl_counts_unusable_messages_as_skipped(tmp_path: Path) -> None:
    rows = [
        row(),
        row(id="m2", content="   "),
        row(id="m3", role="system", content="be terse"),
        row(id="m4", role="tool"),
        row(id="m5", content=None),
    ]
    path = write_jsonl(tmp_path, rows)
    path.write_text(path.read_text() + "\n   \n", encoding="utf-8")  # blank lines are fine
    batch = read_history(path)
    assert [m.id for m in batch.messages] == ["m1"]
    assert batch.skipped == 4


def test_jsonl_reports_progress_per_line(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    read_history(write_jsonl(tmp_path, [row(), row(id="m2")]), lambda d, t: calls.append((d, t)))
    assert calls == [(1, 2), (2, 2)]


def test_jsonl_accepts_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(row()).encode())
    assert len(read_history(path).messages) == 1


def test_locomo_dev_set() -> None:
    lines = LOCOMO.read_text(encoding="utf-8").splitlines()
    distinct = {json.loads(line)["conversation_id"] for line in lines}
    calls: list[tuple[int, int]] = []

    batch = read_history(LOCOMO, lambda d, t: calls.append((d, t)))

    assert len(batch.messages) == 2760
    assert batch.skipped == 0
    assert len(batch.conversations) == len(distinct)
    by_id = {m.id: m for m in batch.messages}
    assert by_id["26:D1:3"].speaker == "Caroline"
    assert by_id["26:D1:3"].conversation_id == "locomo-26-s1"
    assert by_id["26:D1:3"].created_at == datetime(2023, 5, 8, 13, 56, tzinfo=UTC)
    assert all(m.origin == "import" for m in batch.messages)
    assert sum(c.message_count for c in batch.conversations) == 2760
    assert calls[-1] == (2760, 2760)
    # Every message in a session shares one time, so file order must survive the sort.
    session = [m.id for m in batch.messages if m.conversation_id == "locomo-26-s1"]
    assert session[:3] == ["26:D1:1", "26:D1:2", "26:D1:3"]


# --- ChatGPT -------------------------------------------------------------------------------


def test_chatgpt_export(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    path = write_chatgpt(tmp_path, [chatgpt_conversation()])
    batch = read_history(path, lambda d, t: calls.append((d, t)))

    assert [(m.id, m.role, m.status) for m in batch.messages] == [
        ("u1", "user", "active"),
        ("a1", "assistant", "replaced"),  # regenerated away: off the current branch
        ("a2", "assistant", "active"),
    ]
    assert batch.messages[2].content == "Day one: \nRibeira."
    assert batch.messages[0].created_at == datetime.fromtimestamp(1714564801.0, UTC)
    assert all(m.origin == "import" and m.speaker == "" for m in batch.messages)
    assert batch.skipped == 3  # the system prompt, the image-only reply, the tool output
    (conversation,) = batch.conversations
    assert (conversation.id, conversation.title, conversation.message_count) == (
        "conv-1",
        "Porto trip",
        2,
    )
    assert conversation.created_at == batch.messages[0].created_at
    assert conversation.updated_at == batch.messages[2].created_at
    assert calls == [(1, 1)]


def test_chatgpt_without_times_follows_the_current_branch(tmp_path: Path) -> None:
    conversation = chatgpt_conversation(times=False)
    conversation["title"] = None
    conversation["conversation_id"] = conversation.pop("id")
    batch = read_history(write_chatgpt(tmp_path, [conversation]))

    assert [(m.id, m.status) for m in batch.messages] == [
        ("u1", "active"),
        ("a2", "active"),
        ("a1", "replaced"),
    ]
    start = datetime.fromtimestamp(1714564800.0, UTC)
    assert all(m.created_at == start for m in batch.messages)
    assert batch.conversations[0].id == "conv-1"
    assert batch.conversations[0].title == "Plan a trip to Porto"


def test_chatgpt_skips_conversations_without_text(tmp_path: Path) -> None:
    empty = {"id": "conv-0", "title": "", "create_time": 1.0, "mapping": {}}
    batch = read_history(write_chatgpt(tmp_path, [empty, chatgpt_conversation()]))
    assert [c.id for c in batch.conversations] == ["conv-1"]


# --- bad input -----------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    error = import_error(tmp_path / "nope.jsonl")
    assert "nope.jsonl does not exist" in error.message


def test_directory(tmp_path: Path) -> None:
    assert "is a directory" in import_error(tmp_path).message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(json.dumps(row()).encode() + b"\n" + '{"content": "café"}'.encode("latin-1"))
    assert import_error(path).message == f"{path}, line 2: not UTF-8 text."


@pytest.mark.parametrize("text", ["", "  \n\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text(text, encoding="utf-8")
    assert import_error(path).message == f"{path} is empty."


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path, [row(), row(id="m2")])
    path.write_text(path.read_text() + '{"id": "m3", oops}\n', encoding="utf-8")
    error = import_error(path)
    assert error.message.startswith(f"{path}, line 3: invalid JSON")
    assert "conversation_id" in error.hint


def test_line_that_is_not_an_object(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path, [row(), ["a", "list"]])
    assert import_error(path).message == f"{path}, line 2: expected a JSON object, got a list."


def test_missing_required_field(tmp_path: Path) -> None:
    bad = row(id="m2")
    del bad["created_at"]
    path = write_jsonl(tmp_path, [row(), bad])
    assert import_error(path).message == f"{path}, line 2: missing field created_at."


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("id", 7, "id must be a non-empty string"),
        ("conversation_id", "", "conversation_id must be a non-empty string"),
        ("content", ["parts"], "content must be a string"),
        ("speaker", 3, "speaker must be a string"),
    ],
)
def test_wrongly_typed_field(tmp_path: Path, field: str, value: Any, expected: str) -> None:
    path = write_jsonl(tmp_path, [row(**{field: value})])
    assert import_error(path).message == f"{path}, line 1: {expected}."


@pytest.mark.parametrize("stamp", ["yesterday", "2024-13-01T00:00:00", "2024-05-01 25:00"])
def test_bad_timestamp(tmp_path: Path, stamp: str) -> None:
    path = write_jsonl(tmp_path, [row(), row(id="m2", created_at=stamp)])
    error = import_error(path)
    assert error.message == f"{path}, line 2: created_at {stamp!r} is not an ISO 8601 time."
    assert "ISO 8601" in error.hint


def test_repeated_message_id(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path, [row(), row(content="again")])
    assert "line 2: message id 'm1' was already used on line 1" in import_error(path).message


def test_entirely_unusable_file(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path, [row(role="system"), row(id="m2", content="")])
    assert import_error(path).message == f"{path} holds no usable messages (2 skipped)."


def test_chatgpt_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "conversations.json"
    path.write_text('[\n  {"id": "c1",\n   "mapping": }\n]\n', encoding="utf-8")
    assert import_error(path).message.startswith(f"{path}, line 3: invalid JSON")


@pytest.mark.parametrize(
    ("conversation", "expected"),
    [
        ("not an object", "conversation 1: expected a JSON object, got a string"),
        ({"title": "x", "mapping": {}}, "conversation 1: missing field id"),
        ({"id": "c1", "title": "x"}, "conversation 1 (c1): missing field mapping"),
    ],
)
def test_chatgpt_malformed_conversation(tmp_path: Path, conversation: Any, expected: str) -> None:
    path = write_chatgpt(tmp_path, [conversation])
    assert import_error(path).message == f"{path}, {expected}."


def test_chatgpt_bad_timestamp(tmp_path: Path) -> None:
    conversation = chatgpt_conversation()
    conversation["mapping"]["u1"]["message"]["create_time"] = "noon"
    path = write_chatgpt(tmp_path, [conversation])
    assert "message u1: create_time 'noon' is not a Unix time" in import_error(path).message


def test_chatgpt_without_any_time(tmp_path: Path) -> None:
    conversation = chatgpt_conversation(times=False)
    del conversation["create_time"]
    path = write_chatgpt(tmp_path, [conversation])
    assert "no create_time" in import_error(path).message


@pytest.mark.parametrize("conversations", [[], [{"id": "c", "mapping": {}}]])
def test_chatgpt_without_usable_messages(tmp_path: Path, conversations: Any) -> None:
    path = write_chatgpt(tmp_path, conversations)
    assert import_error(path).message.startswith(f"{path} holds no")


def test_chatgpt_repeated_conversation(tmp_path: Path) -> None:
    path = write_chatgpt(tmp_path, [chatgpt_conversation(), chatgpt_conversation()])
    assert "conversation 2: id 'conv-1' appears twice" in import_error(path).message


def test_chatgpt_repeated_message_id(tmp_path: Path) -> None:
    conversation = chatgpt_conversation()
    conversation["mapping"]["a2"]["message"]["id"] = "a1"
    path = write_chatgpt(tmp_path, [conversation])
    assert "conversation 1: message id 'a1' appears twice" in import_error(path).message


def test_batch_is_frozen(tmp_path: Path) -> None:
    batch = read_history(write_jsonl(tmp_path, [row()]))
    assert isinstance(batch, ImportBatch)
    with pytest.raises(AttributeError):
        batch.skipped = 1  # type: ignore[misc]
