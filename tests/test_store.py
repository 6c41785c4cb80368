"""The LanceDB store, on a real database in a temporary directory."""

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from assistant.core.errors import NotFoundError, StoreError
from assistant.core.records import Conversation, Message, new_id, utc_now
from assistant.store.lance import LanceStore
from assistant.store.lance_db import SCHEMA_VERSION, LanceDatabase


def conversation(title: str = "t") -> Conversation:
    now = utc_now()
    return Conversation(new_id(), title, "sys", now, now)


def message(conv: Conversation, role: str, content: str, offset: int) -> Message:
    return Message(new_id(), conv.id, role, content, utc_now() + timedelta(seconds=offset))  # type: ignore[arg-type]


def test_schema_version_recorded(tmp_path: Path) -> None:
    store = LanceStore(LanceDatabase(tmp_path / "s"))
    assert store.schema_version() == SCHEMA_VERSION
    assert LanceStore(LanceDatabase(tmp_path / "s")).schema_version() == SCHEMA_VERSION


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    store = LanceStore(LanceDatabase(tmp_path / "s"))
    store.schema_version()
    store.db.write_version(SCHEMA_VERSION + 1)
    with pytest.raises(StoreError, match="newer"):
        LanceStore(LanceDatabase(tmp_path / "s")).schema_version()


def test_conversation_round_trip_and_upsert(tmp_path: Path) -> None:
    store = LanceStore(LanceDatabase(tmp_path / "s"))
    conv = conversation("first")
    store.save_conversation(conv)
    store.save_conversation(replace(conv, title="renamed", system_prompt="new"))
    loaded = LanceStore(LanceDatabase(tmp_path / "s")).get_conversation(conv.id)
    assert (loaded.title, loaded.system_prompt) == ("renamed", "new")
    assert loaded.created_at == conv.created_at
    assert len(store.list_conversations()) == 1


def test_messages_in_order_and_status(tmp_path: Path) -> None:
    store = LanceStore(LanceDatabase(tmp_path / "s"))
    conv = conversation()
    store.save_conversation(conv)
    msgs = [
        message(conv, r, c, i)
        for i, (r, c) in enumerate([("user", "a"), ("assistant", "b"), ("user", "c's")])
    ]
    store.add_messages(list(reversed(msgs)))
    assert [m.content for m in store.list_messages(conv.id)] == ["a", "b", "c's"]
    store.set_message_status([msgs[1].id], "replaced")
    assert [m.content for m in store.list_messages(conv.id)] == ["a", "c's"]
    assert len(store.list_messages(conv.id, include_inactive=True)) == 3
    assert store.get_message(msgs[1].id).status == "replaced"
    assert store.get_conversation(conv.id).message_count == 2


def test_search_and_delete(tmp_path: Path) -> None:
    store = LanceStore(LanceDatabase(tmp_path / "s"))
    a, b = conversation("About cats"), conversation("Other")
    for c in (a, b):
        store.save_conversation(c)
    store.add_messages([message(b, "user", "my zebra is striped", 0)])
    assert [c.id for c in store.list_conversations("cats")] == [a.id]
    assert [c.id for c in store.list_conversations("ZEBRA")] == [b.id]
    store.delete_conversation(b.id)
    with pytest.raises(NotFoundError):
        store.get_conversation(b.id)
    assert store.list_messages(b.id) == []


def test_quotes_in_ids_cannot_break_filters(tmp_path: Path) -> None:
    store = LanceStore(LanceDatabase(tmp_path / "s"))
    store.save_conversation(conversation())
    with pytest.raises(NotFoundError):
        store.get_conversation("x' OR '1'='1")


def test_v1_store_is_migrated_to_the_current_schema(tmp_path: Path) -> None:
    import lancedb
    import pyarrow as pa

    ts = pa.timestamp("us", tz="UTC")
    v1_messages = pa.schema(
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
    )
    db = lancedb.connect(str(tmp_path / "s"))
    db.create_table("meta", [{"key": "schema_version", "value": "1"}])
    old = message(conversation("t"), "user", "written by v1", 0)
    db.create_table(
        "messages",
        pa.Table.from_pylist(
            [
                {
                    "id": old.id,
                    "conversation_id": old.conversation_id,
                    "role": "user",
                    "content": old.content,
                    "created_at": old.created_at,
                    "status": "active",
                    "model": "",
                    "usage": "{}",
                }
            ],
            schema=v1_messages,
        ),
    )
    store = LanceStore(LanceDatabase(tmp_path / "s"))
    assert store.schema_version() == SCHEMA_VERSION
    migrated = store.get_message(old.id)
    assert (migrated.content, migrated.speaker, migrated.origin) == ("written by v1", "", "chat")
    assert store.db.table("memories").count_rows() == 0  # tables new in v2 exist


def test_hot_conversation_cache_agrees_with_the_disk(tmp_path: Path) -> None:
    store = LanceStore(LanceDatabase(tmp_path / "s"))
    conv = conversation()
    store.save_conversation(conv)
    first = message(conv, "user", "one", 0)
    store.add_messages([first])
    assert store.list_messages(conv.id) == [first]  # read once, now cached
    reply, late = message(conv, "assistant", "two", 1), message(conv, "user", "three", 2)
    store.add_messages([reply])
    store.add_messages([late])
    store.save_conversation(replace(conv, title="renamed"))

    def fresh() -> LanceStore:
        return LanceStore(LanceDatabase(tmp_path / "s"))

    assert store.list_messages(conv.id) == fresh().list_messages(conv.id) == [first, reply, late]
    assert store.get_conversation(conv.id) == fresh().get_conversation(conv.id)
    assert store.get_conversation(conv.id).title == "renamed"
    assert store.get_conversation(conv.id).message_count == 3

    store.set_message_status([reply.id], "replaced")
    assert store.list_messages(conv.id) == fresh().list_messages(conv.id) == [first, late]
    store.delete_conversation(conv.id)
    assert store.list_messages(conv.id) == []
    with pytest.raises(NotFoundError):
        store.get_conversation(conv.id)


def test_a_reader_never_waits_for_a_writer_holding_the_database_lock(tmp_path: Path) -> None:
    """Writers hold `db.lock` while they update a vector cache (which takes the cache's
    lock); so a reader inside the cache's lock must not need `db.lock`, or a turn's
    recall and the previous turn's learning deadlock (they once did)."""
    import threading

    from assistant.store.memories import LanceMemoryStore

    memories = LanceMemoryStore(LanceDatabase(tmp_path / "s"))
    memories.list_memories()  # open the database
    held, release = threading.Event(), threading.Event()

    def writer() -> None:
        with memories.db.lock:
            held.set()
            release.wait(30)

    holder = threading.Thread(target=writer)
    holder.start()
    held.wait(30)
    reader = threading.Thread(target=lambda: memories.nearest_memories([1.0] + [0.0] * 383, 3))
    reader.start()
    reader.join(20)
    finished = not reader.is_alive()
    release.set()
    holder.join()
    reader.join()
    assert finished
