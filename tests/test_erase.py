"""Erasing on a real LanceDB: every copy of a deleted text goes, the rest stays intact."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from assistant.core.records import (
    Conversation,
    Memory,
    MemoryEvent,
    Message,
    Signal,
    new_id,
    utc_now,
)
from assistant.store.erase import DELETED_SUCCESSOR, scrub_context
from assistant.store.lance import LanceStore
from assistant.store.lance_db import DOC_CHUNKS, LanceDatabase
from assistant.store.memories import LanceMemoryStore
from tests.erasure import files_containing, tables_with_old_versions, traces

SECRET = "QX-4471-ZETA"


def unit(seed: int) -> list[float]:
    v = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
    return list(v / np.linalg.norm(v))


def memory(text: str, sources: tuple[str, ...], **changes: object) -> Memory:
    now = utc_now()
    return replace(Memory(new_id(), "fact", text, f"k:{text}", sources, now, now), **changes)  # type: ignore[arg-type]


def test_scrub_context_keeps_only_what_is_not_erased() -> None:
    context = {
        "preferences": [{"id": "m1", "text": "a"}, {"id": "m2", "text": "b"}],
        "memories": [{"id": "m1", "text": "a"}],
        "messages": [{"id": "x", "conversation_id": "c1", "text": "t"}],
        "documents": [],
    }
    scrubbed = json.loads(scrub_context(json.dumps(context), {"m1"}, {"c1"}))
    assert scrubbed == {
        "preferences": [{"id": "m2", "text": "b"}],
        "memories": [],
        "messages": [],
        "documents": [],
    }
    assert scrub_context(json.dumps(context), {"m1", "m2"}, {"c1"}) == ""
    prompted = {**context, "prompt": {"system": "Known: b", "user": "hi"}, "level": "full"}
    untouched = json.loads(scrub_context(json.dumps(prompted), set(), set(), ["zzz"]))
    assert untouched == prompted
    named = json.loads(scrub_context(json.dumps(prompted), set(), set(), ["Known: b"]))
    assert "prompt" not in named and named["preferences"] == context["preferences"]
    listed = json.loads(scrub_context(json.dumps(prompted), {"m2"}, set()))
    assert "prompt" not in listed  # it quoted an item that went
    assert scrub_context("not json", {"m1"}, set()) == ""  # unreadable: dropped, not kept


def test_erasing_a_memory_and_its_conversation_leaves_no_copy(tmp_path: Path) -> None:
    db = LanceDatabase(tmp_path / "store")
    store, memories = LanceStore(db), LanceMemoryStore(db)
    now = utc_now()
    secret_chat, other_chat = (Conversation(new_id(), t, "", now, now) for t in ("a", "b"))
    store.save_conversations([secret_chat, other_chat])
    told = Message(new_id(), secret_chat.id, "user", f"my locker code is {SECRET}", now)
    older = memory("The user's locker code is 1234.", (new_id(),), status="superseded")
    learned = memory(f"The user's locker code is {SECRET}.", (told.id,), supersedes=older.id)
    older = replace(older, superseded_by=learned.id)
    quoted = {
        "preferences": [],
        "memories": [{"id": learned.id, "kind": "fact", "text": learned.text}],
        "messages": [{"id": told.id, "conversation_id": secret_chat.id, "text": told.content}],
        "documents": [],
        "prompt": {"system": f"Known: {learned.text}", "user": "what is my code?"},
        "level": "full",
    }
    question = Message(new_id(), other_chat.id, "user", "what is my code?", now)
    reply = replace(
        Message(new_id(), other_chat.id, "assistant", "I don't know.", now),
        context=json.dumps(quoted),
    )
    store.add_messages([told, question, reply])
    memories.index_messages([told, question], [told.content, question.content], [unit(1), unit(2)])
    memories.add_memory(older, unit(3))
    memories.add_memory(learned, unit(4))
    memories.record_event(
        MemoryEvent(
            new_id(), older.id, "supersede", now, f"replaced by: {learned.text}", (), learned.id
        )
    )
    memories.record_signal(
        Signal(
            new_id(), "down", reply.id, other_chat.id, now, question.id, "", "", json.dumps(quoted)
        )
    )
    memories.record_signal(
        Signal(
            new_id(), "correction", reply.id, other_chat.id, now, text=SECRET, memory_id=learned.id
        )
    )
    assert traces([tmp_path], SECRET, [unit(1), unit(4)])  # the search can fail

    store.forget([learned.id], [secret_chat.id])

    assert traces([tmp_path], SECRET, [unit(1), unit(4)]) == []
    touched = {"memories", "memory_events", "signals", "messages", "message_index"}
    assert touched.isdisjoint(tables_with_old_versions(tmp_path / "store"))
    assert [m.id for m in store.list_messages(other_chat.id)] == [question.id, reply.id]
    assert store.get_message(reply.id).context == ""  # everything it quoted is gone
    assert [m.id for m in memories.list_memories(("active", "superseded"))] == [older.id]
    [event] = memories.events(older.id)
    assert (event.reason, event.detail) == (DELETED_SUCCESSOR, "")
    [signal] = memories.signals()
    assert (signal.kind, signal.context) == ("down", "")
    assert [h.item.id for h in memories.nearest_messages(unit(2), 5)] == [question.id]
    assert [c.id for c in store.list_conversations()] == [other_chat.id]


def test_forget_everything_empties_every_table(tmp_path: Path) -> None:
    db = LanceDatabase(tmp_path / "store")
    store, memories = LanceStore(db), LanceMemoryStore(db)
    now = utc_now()
    chat = Conversation(new_id(), "a", "", now, now)
    store.save_conversation(chat)
    store.add_messages([Message(new_id(), chat.id, "user", SECRET, now)])
    memories.add_memory(memory(SECRET, ()), unit(5))
    chunk = {"id": "c1", "file_id": "f1", "path": "notes.md", "heading": "h"}
    db.table(DOC_CHUNKS).add([{**chunk, "start": 0, "end": 9, "text": SECRET, "vector": unit(6)}])
    store.forget_everything()
    assert traces([tmp_path], SECRET, [unit(5), unit(6)]) == []
    assert db.rows(DOC_CHUNKS) == []  # indexed documents are forgotten too
    assert tables_with_old_versions(tmp_path / "store") == {}
    assert store.list_conversations() == []
    assert memories.list_memories(("active", "superseded")) == []
    assert LanceStore(LanceDatabase(tmp_path / "store")).schema_version() > 0


def test_one_deleted_row_among_many_leaves_no_bytes(tmp_path: Path) -> None:
    """LanceDB's compaction keeps a deleted row in its file when under a tenth of the
    file's rows are deleted; forgetting one memory among many must still remove it."""
    db = LanceDatabase(tmp_path / "store")
    store, memories = LanceStore(db), LanceMemoryStore(db)
    kept = [memory(f"The user's note number {i} is marker{i:03d}x.", ()) for i in range(40)]
    for i, m in enumerate(kept):
        memories.add_memory(m, unit(100 + i))
    db.purge("memories")  # one compacted file holding all forty
    assert files_containing([tmp_path], b"marker007x")  # the search sees this layout

    store.forget([kept[7].id], [])

    assert files_containing([tmp_path], b"marker007x") == []
    assert files_containing([tmp_path], b"marker008x")  # the others are still there
    assert len(memories.list_memories()) == 39
