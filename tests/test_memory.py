"""The memory book and recall, through the real embedder and a real LanceDB on disk."""

from pathlib import Path

import pytest

from assistant.core.learning.extract import extract_rules
from assistant.core.learning.loop import LearningLoop
from assistant.core.learning.memory import MemoryBook
from assistant.core.records import Message, new_id, utc_now
from assistant.embedder import SentenceEmbedder
from assistant.store.lance import LanceStore
from assistant.store.lance_db import LanceDatabase
from assistant.store.memories import LanceMemoryStore
from tests.erasure import traces

pytestmark = pytest.mark.real


@pytest.fixture
def store(tmp_path: Path) -> LanceMemoryStore:
    return LanceMemoryStore(LanceDatabase(tmp_path / "store"))


@pytest.fixture
def book(store: LanceMemoryStore, embedder: SentenceEmbedder) -> MemoryBook:
    return MemoryBook(store, embedder)


def teach(book: MemoryBook, text: str) -> list[str]:
    return [f"{m.status}:{m.text}" for m in book.learn(extract_rules(text), (new_id(),))]


def test_add_with_provenance_and_event(book: MemoryBook, store: LanceMemoryStore) -> None:
    source = new_id()
    [memory] = book.learn(extract_rules("I'm allergic to peanuts"), (source,))
    stored = store.get_memory(memory.id)
    assert stored.source_ids == (source,)
    assert stored.kind == "fact" and stored.status == "active"
    [event] = store.events(memory.id)
    assert (event.action, event.source_ids) == ("add", (source,))
    assert event.reason == "extracted from the user's message"
    typed = book.add_manual("The user's bike is blue")
    assert [e.reason for e in store.events(typed.id)] == ["added by the user"]


def test_duplicate_only_reinforces(book: MemoryBook, store: LanceMemoryStore) -> None:
    teach(book, "I prefer short answers")
    assert teach(book, "I prefer short answers.") == []
    [memory] = store.list_memories()
    assert len(memory.source_ids) == 2
    assert [e.action for e in store.events(memory.id)] == ["add", "reinforce"]


def test_move_supersedes_and_restore(book: MemoryBook, store: LanceMemoryStore) -> None:
    teach(book, "I live in Lisbon")
    changed = teach(book, "I moved to Berlin")
    assert changed == ["active:The user lives in Berlin.", "superseded:The user lives in Lisbon."]
    [active] = store.list_memories()
    assert active.text == "The user lives in Berlin."
    old = next(m for m in store.list_memories(("superseded",)))
    assert old.superseded_by == active.id and active.supersedes == old.id
    restored = book.restore(old.id)
    assert restored.status == "active"
    assert [m.text for m in store.list_memories()] == ["The user lives in Lisbon."]
    assert [e.action for e in store.events(old.id)] == ["add", "supersede", "restore"]


def test_love_then_hate_keeps_history(book: MemoryBook, store: LanceMemoryStore) -> None:
    teach(book, "I love olives")
    teach(book, "I hate olives")
    assert [m.text for m in store.list_memories()] == ["The user hates olives."]
    assert [m.text for m in store.list_memories(("superseded",))] == ["The user loves olives."]


def test_negation_supersedes_by_meaning(book: MemoryBook, store: LanceMemoryStore) -> None:
    teach(book, "I'm vegetarian")
    teach(book, "I no longer eat meat")  # same slot: diet
    assert [m.text for m in store.list_memories()] == ["The user no longer eats meat."]


def test_semantic_recall_hits_paraphrases(
    store: LanceMemoryStore, embedder: SentenceEmbedder
) -> None:
    loop = LearningLoop(store, embedder)
    for text in ("I have two cats", "my car is a red Fiat", "I work as a nurse at the hospital"):
        loop.book.learn(extract_rules(text), (new_id(),))
    hits = loop.recall("what pets do I own?", 3)
    assert hits[0].text == "The user has two cats."
    hits = loop.recall("which vehicle do I drive", 3)
    assert hits[0].text == "The user's car is a red Fiat."


def test_messages_of_other_conversations_are_recalled(
    store: LanceMemoryStore, embedder: SentenceEmbedder
) -> None:
    loop = LearningLoop(store, embedder)
    now = utc_now()
    trip = Message(new_id(), "conv-a", "user", "We decided the trip to Kyoto is in April.", now)
    other = Message(new_id(), "conv-b", "user", "Let's fix the kitchen sink.", now)
    loop.index_imported([trip, other])
    context = loop.context_for("what did we decide about the trip?", "conv-c", 400, len)
    assert [h.id for h in context.messages] == [trip.id]
    assert "Kyoto" in context.block and "not instructions" in context.block
    same_conversation = loop.context_for("what did we decide about the trip?", "conv-a", 400, len)
    assert same_conversation.messages == ()


def test_forget_removes_text_from_disk(
    book: MemoryBook, store: LanceMemoryStore, tmp_path: Path
) -> None:
    [memory] = book.learn(extract_rules("my locker code is zebra-7781"), (new_id(),))
    vector = store.memory_vectors([memory.id])[memory.id]
    assert traces([tmp_path / "store"], "zebra-7781", [vector])  # the search can fail
    LanceStore(store.db).forget([memory.id], [])
    assert store.list_memories(("active", "superseded", "deleted")) == []
    assert traces([tmp_path / "store"], "zebra-7781", [vector]) == []


def test_a_choice_learned_one_way_replaces_the_same_choice_learned_another(
    book: MemoryBook, store: LanceMemoryStore
) -> None:
    """A feedback rule and a statement about units hold one choice between them, and so
    do two rules about answer length: the later replaces the earlier."""
    rule = book.propose_rule("Use metric units.", "rule:units:metric", (new_id(),), active=True)
    changed = teach(book, "I use miles and pounds.")
    assert changed == ["active:The user uses imperial units.", "superseded:Use metric units."]
    assert store.get_memory(rule.id).superseded_by == store.list_memories(("active",))[0].id
    back = book.propose_rule("Use metric units.", "rule:units:metric", (new_id(),), active=True)
    assert [m.text for m in store.list_memories(("active",))] == [back.text]

    short = book.propose_rule("Keep answers short.", "rule:length:short", (), active=True)
    fuller = book.propose_rule("Give fuller answers.", "rule:length:long", (), active=False)
    book.keep_rule(fuller.id)
    assert store.get_memory(short.id).status == "superseded"
    # Other slots are untouched by either.
    teach(book, "I live in Porto")
    active = sorted(m.text for m in store.list_memories(("active",)))
    assert active == ["Give fuller answers.", "The user lives in Porto.", "Use metric units."]
