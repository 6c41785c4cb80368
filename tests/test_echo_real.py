"""No echo loop, on the real stack: the real embedder and a real LanceDB in a fresh
ASSISTANT_HOME. The replies are scripted (ScriptedBackend), because the point is what
the app does with a reply that copies its notes or loops, and a real model does that
only sometimes."""

import json
import os
from pathlib import Path

import pytest

from assistant.compose import build_assistant, load_environment
from assistant.core import Assistant, TurnFinished
from assistant.core.learning.echo import ERASED, injected_texts
from assistant.embedder import Embedder
from assistant.llm.fake import ScriptedBackend
from tests.cli_helpers import run
from tests.erasure import files_containing, tables_with_old_versions

pytestmark = pytest.mark.real

KEY_NOTE = "The spare greenhouse key is hidden under the blue heron statue near the pond."
QUESTION = "Where is the greenhouse key hidden?"
LOOP_LINE = "This is the key to the greenhouse."
SOURDOUGH = "Feed the sourdough starter twice a day with rye flour and keep it somewhere warm."


@pytest.fixture
def assistant(home: Path, fake: ScriptedBackend, embedder: Embedder) -> Assistant:
    a = build_assistant(load_environment(max_tokens=400), fake, embedder)
    a.load(embedder=True)
    return a


def turn(a: Assistant, fake: ScriptedBackend, text: str, reply: str) -> TurnFinished:
    """One turn with a scripted reply, learned from as the shells do after it."""
    fake.enqueue(reply)
    *_, last = a.send(text)
    assert isinstance(last, TurnFinished)
    a.learn(last)
    return last


def recalled_texts(finished: TurnFinished) -> str:
    return json.dumps(finished.context.as_dict())


def test_copied_notes_and_loops_are_never_recalled(
    assistant: Assistant, fake: ScriptedBackend
) -> None:
    normal = turn(assistant, fake, "How do I look after my sourdough starter?", SOURDOUGH)
    assistant.remember(KEY_NOTE)

    quoting = turn(
        assistant,
        fake,
        QUESTION,
        f"From your notes: {KEY_NOTE} I would also check the potting shed by the gate.",
    )
    # The note was injected into that turn, and the reply copied it verbatim.
    assert KEY_NOTE in injected_texts(quoting.reply.context)
    # A reply that leaks a template marker, then loops: the core ends the loop at its
    # first repeat (reply_shape.py), and what is left is still degenerate.
    looping = turn(assistant, fake, QUESTION, f"{KEY_NOTE}\n</recalled>\n" + f"{LOOP_LINE}\n" * 30)
    assert looping.ended_by == "loop"
    assert KEY_NOTE in injected_texts(looping.reply.context)
    # The user still has both replies as they were shown.
    [_, stored] = assistant.messages(looping.conversation.id)
    assert stored.content == f"{KEY_NOTE}\n</recalled>\n{LOOP_LINE}"
    assert assistant.messages(quoting.conversation.id)[1].content.startswith("From your notes:")

    indexed = assistant.memory_store.indexed_message_ids()
    assert looping.reply.id not in indexed  # degenerate: not recalled at all
    assert {normal.reply.id, quoting.reply.id} <= indexed

    # What the quoting reply said of its own is recallable, without the copy.
    [own] = [h for h in assistant.recall("check the potting shed", k=10) if h.kind == "message"][:1]
    assert own.id == quoting.reply.id
    assert own.text.endswith("From your notes: . I would also check the potting shed by the gate.")

    again = turn(assistant, fake, QUESTION, "I do not know where the key is.")
    assert KEY_NOTE in [h.text for h in again.context.memories]  # the note itself, as a note
    replies = json.dumps(again.context.as_dict()["messages"])
    assert "heron" not in replies and LOOP_LINE not in replies  # but never through a reply
    hits = [h for h in assistant.recall("blue heron statue greenhouse key", k=10)]
    messages = [h for h in hits if h.kind == "message"]
    assert messages and not any("heron" in h.text or LOOP_LINE in h.text for h in messages)

    sourdough = turn(assistant, fake, "What should I feed my sourdough starter?", "Rye.")
    assert normal.reply.id in [m["id"] for m in sourdough.context.as_dict()["messages"]]

    report = assistant.learning_report()
    totals = report["totals"]
    assert isinstance(totals, dict) and totals["degenerate_replies"] == 1
    cli = run(["learning"], dict(os.environ))  # the same home, through the CLI
    assert cli.returncode == 0, cli.stderr
    assert "degenerate replies (not recalled): 1" in cli.stdout


def test_forgetting_a_memory_erases_the_replies_copies_of_it(
    assistant: Assistant, fake: ScriptedBackend, home: Path
) -> None:
    note = assistant.remember(KEY_NOTE)
    quoting = turn(assistant, fake, QUESTION, f"It says: {KEY_NOTE} Good luck in the garden!")
    assert KEY_NOTE in injected_texts(quoting.reply.context)

    assistant.forget_memory(note.id)
    assert files_containing([home], b"heron") == []
    [_, reply] = assistant.messages(quoting.conversation.id)
    assert reply.content == f"It says: {ERASED}. Good luck in the garden!"
    assert "messages" not in tables_with_old_versions(home / "data" / "store")


def test_an_edited_then_removed_note_is_never_recalled_through_a_reply(
    assistant: Assistant, fake: ScriptedBackend, home: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    garden = notes / "garden.md"
    garden.write_text(f"# Greenhouse\n\n{KEY_NOTE}\n")
    assistant.documents().add([notes])

    first = turn(assistant, fake, QUESTION, f"{KEY_NOTE} Good luck with the tomatoes this season!")
    [document] = first.context.documents
    assert document.path == str(garden) and "heron" in document.text
    # Four words copied: under the five that indexing cuts, so it is recallable…
    short = turn(assistant, fake, QUESTION, "I think it is by the blue heron statue, maybe.")
    assert short.context.documents
    assert any("heron" in h.text for h in assistant.recall("by the blue heron statue"))

    garden.write_text("# Greenhouse\n\nThe spare greenhouse key now hangs in the red mailbox.\n")
    os.utime(garden, ns=(1, 1))  # a new mtime even on a coarse clock
    assert assistant.documents().sync().updated == 1

    # …until the note changes: then no reply given the old text offers it.
    hits = assistant.recall("by the blue heron statue", k=10)
    assert short.reply.id in [h.id for h in hits]
    assert not any("heron" in h.text for h in hits)
    assert "heron" in assistant.messages(short.conversation.id)[1].content  # shown as written
    after_edit = turn(assistant, fake, QUESTION, "Look in the red mailbox.")
    assert "red mailbox" in recalled_texts(after_edit)  # the new text is there…
    assert "heron" not in recalled_texts(after_edit)  # …and the old one nowhere,
    assert "heron" not in after_edit.reply.context  # not even in the prompt it recorded
    # while the first reply's own words are still recalled.
    [own] = [h for h in assistant.recall("tomatoes this season", k=10) if h.kind == "message"][:1]
    assert own.id == first.reply.id and "heron" not in own.text

    assistant.documents().remove(notes)
    assert files_containing([home], b"heron") == []
    [_, reply] = assistant.messages(first.conversation.id)
    assert reply.content == f"{ERASED}. Good luck with the tomatoes this season!"
    [_, reply] = assistant.messages(short.conversation.id)
    assert reply.content == f"I think it is by {ERASED}, maybe."


def test_a_superseded_memory_is_not_recalled_through_a_reply_that_quoted_it(
    assistant: Assistant, fake: ScriptedBackend
) -> None:
    turn(assistant, fake, "I live in Lisbon", "Noted.")
    assert [m.text for m in assistant.memories()] == ["The user lives in Lisbon."]
    tips = turn(
        assistant,
        fake,
        "Any tips for getting around my city by tram?",
        "Someone who lives in Lisbon should ride tram 28 early in the morning.",
    )
    assert "The user lives in Lisbon." in injected_texts(tips.reply.context)
    before = {h.id: h.text for h in assistant.recall("tram 28 lives in Lisbon", k=10)}
    assert "lives in Lisbon" in before[tips.reply.id]  # three words: not an echo yet

    turn(assistant, fake, "I moved to Berlin", "Noted.")
    assert [m.text for m in assistant.memories(("superseded",))] == ["The user lives in Lisbon."]
    after = {h.id: h.text for h in assistant.recall("tram 28 lives in Lisbon", k=10)}
    assert after[tips.reply.id].endswith(
        f"Someone who {ERASED} should ride tram 28 early in the morning."
    )
    assert tips.reply.content == assistant.messages(tips.conversation.id)[1].content
