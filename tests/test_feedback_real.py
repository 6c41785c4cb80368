"""Corrections, feedback, rules and learning levels on the real model, embedder and store."""

import hashlib
from pathlib import Path

import pytest

from assistant.compose import build_assistant, load_environment
from assistant.core import Assistant, TurnFinished
from assistant.core.errors import InputError
from assistant.embedder import Embedder
from assistant.llm.process import ProcessBackend
from assistant.store.lance_db import MEMORIES, MEMORY_EVENTS, MESSAGE_INDEX, SIGNALS

pytestmark = pytest.mark.real
LEARNING_TABLES = (MEMORIES, MEMORY_EVENTS, MESSAGE_INDEX, SIGNALS)


def make(real_backend: ProcessBackend, embedder: Embedder, learning: str = "feedback") -> Assistant:
    env = load_environment(max_tokens=8, temperature=0.0, learning=learning)
    a = build_assistant(env, real_backend, embedder)
    a.load(embedder=learning != "off")
    return a


@pytest.fixture
def assistant(home: Path, real_backend: ProcessBackend, embedder: Embedder) -> Assistant:
    return make(real_backend, embedder)


def turn(a: Assistant, text: str, conversation: str | None = None, **kw: object) -> TurnFinished:
    *_, last = a.send(text, conversation, **kw)  # type: ignore[arg-type]
    assert isinstance(last, TurnFinished)
    a.learn(last)
    return last


def fingerprint(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_correction_is_recalled_for_a_paraphrase_and_reaches_the_prompt(
    assistant: Assistant,
) -> None:
    asked = turn(assistant, "What is the capital of Australia?")
    result = assistant.correct(asked.reply.id, "Canberra")
    [memory] = result.changed
    assert memory.kind == "correction"
    assert memory.text.startswith('Earlier, asked "What is the capital of Australia?"')
    assert memory.text.endswith("the user corrected it to: Canberra.")
    assert set(memory.source_ids) == {asked.user_message.id, asked.reply.id}  # type: ignore[union-attr]

    probe = turn(assistant, "Which city is Australia's capital?")
    assert probe.conversation.id != asked.conversation.id
    assert memory.id in [h.id for h in probe.context.memories]
    # The prompt carries the question and its right answer (see correction_prompt_text).
    prompt = assistant.last_prompt[-1].content
    assert 'The answer to "What is the capital of Australia?" is: Canberra.' in prompt

    unrelated = turn(assistant, "How do I boil an egg?")
    assert memory.id not in [h.id for h in unrelated.context.memories]


def test_a_correction_of_a_correction_supersedes_it(assistant: Assistant) -> None:
    asked = turn(assistant, "How tall is Mount Everest?")
    first = assistant.correct(asked.reply.id, "8,849 m").changed[0]
    again = turn(assistant, "What is the height of Mount Everest?")
    second = assistant.correct(again.reply.id, "8,848.86 m").changed
    assert [m.status for m in second] == ["active", "superseded"]
    assert second[1].id == first.id
    assert [m.id for m in assistant.memories(kind="correction")] == [second[0].id]


def test_a_followup_that_corrects_is_offered_never_assumed(assistant: Assistant) -> None:
    asked = turn(assistant, "What is the capital of Australia?")
    offered = turn(assistant, "No, actually it's Canberra", asked.conversation.id)
    assert offered.offer is not None
    assert (offered.offer.reply_id, offered.offer.right) == (asked.reply.id, "Canberra")
    assert assistant.memories(kind="correction") == []  # not until the user confirms
    polite = turn(assistant, "no worries", asked.conversation.id)
    assert polite.offer is None
    assistant.accept_offer(offered.offer)
    [memory] = assistant.memories(kind="correction")
    assert "Canberra" in memory.text


def test_three_downs_for_one_cause_propose_a_rule_that_applies_once_kept(
    assistant: Assistant,
) -> None:
    replies = [turn(assistant, f"Tell me about {topic}.") for topic in ("tea", "rain", "maps")]
    first = assistant.feedback(replies[0].reply.id, "down", "too long")
    assert first.proposed == ()
    assistant.feedback(replies[1].reply.id, "down", "Way too verbose")
    assistant.feedback(replies[2].reply.id, "up")
    assert assistant.feedback(replies[2].reply.id, "down", "too long").proposed[0].status == (
        "proposed"
    )
    [rule] = assistant.memories(("proposed",), "rule")
    assert rule.text == "Keep answers short."
    turn(assistant, "Tell me about bread.")
    assert "Keep answers short." not in assistant.last_prompt[0].content  # not yet kept

    kept = assistant.keep_rule(rule.id)
    assert kept.status == "active"
    turn(assistant, "Tell me about cheese.")
    assert "Keep answers short." in assistant.last_prompt[0].content
    # The same cause is not proposed again for the downs that were already counted.
    assert assistant.feedback(replies[0].reply.id, "down", "too long").proposed == ()


def test_regenerate_and_edit_are_recorded_as_signals(assistant: Assistant) -> None:
    asked = turn(assistant, "Name a colour.")
    *_, regenerated = assistant.regenerate(asked.conversation.id)
    *_, edited = assistant.edit_last(asked.conversation.id, "Name a warm colour.")
    assert isinstance(regenerated, TurnFinished) and isinstance(edited, TurnFinished)
    [regen] = assistant.memory_store.signals("regenerate")
    assert regen.message_id == asked.reply.id
    [reformulation] = assistant.memory_store.signals("reformulation")
    assert reformulation.message_id == regenerated.reply.id
    assert reformulation.text == "Name a warm colour."


def test_a_regenerated_reply_is_no_longer_recalled_and_its_replacement_is(
    assistant: Assistant,
) -> None:
    asked = turn(assistant, "What is the capital of Australia?")
    before = turn(assistant, "Which city is Australia's capital?")
    assert asked.reply.id in [h.id for h in before.context.messages]
    *_, regenerated = assistant.regenerate(asked.conversation.id)
    assert isinstance(regenerated, TurnFinished)
    assistant.learn(regenerated)
    after = [h.id for h in turn(assistant, "Which city is Australia's capital?").context.messages]
    assert asked.reply.id not in after
    assert regenerated.reply.id in after


def test_memory_level_learns_facts_but_uses_no_corrections(
    home: Path, real_backend: ProcessBackend, embedder: Embedder
) -> None:
    full = make(real_backend, embedder)
    asked = turn(full, "What is the capital of Australia?")
    memory = full.correct(asked.reply.id, "Canberra").changed[0]
    plain = make(real_backend, embedder, "memory")
    probe = turn(plain, "Which city is Australia's capital?")
    assert memory.id not in [h.id for h in probe.context.memories]
    with pytest.raises(InputError, match="learning level"):
        plain.feedback(asked.reply.id, "up")


def test_level_off_and_incognito_leave_the_learning_store_untouched(
    home: Path, real_backend: ProcessBackend, embedder: Embedder
) -> None:
    seeded = make(real_backend, embedder)
    taught = turn(seeded, "I'm vegetarian and I live in Lisbon")
    seeded.feedback(taught.reply.id, "up")
    store_dir = home / "data" / "store"
    assert store_dir.is_dir()
    tables = [store_dir / f"{name}.lance" for name in LEARNING_TABLES]
    assert all(t.is_dir() for t in tables)
    before = {t.name: fingerprint(t) for t in tables}

    off = make(real_backend, embedder, "off")
    first = turn(off, "I moved to Berlin")
    assert first.context.preferences == () and first.context.block == ""
    turn(off, "No, actually it's Canberra", first.conversation.id)
    assert {t.name: fingerprint(t) for t in tables} == before

    everything = fingerprint(home)
    private = make(real_backend, embedder)
    private_turn = turn(private, "My locker code is QX-4471", incognito=True)
    assert private_turn.incognito
    assert fingerprint(home) == everything


def test_at_level_full_a_rule_applies_at_once_and_says_why(
    home: Path, real_backend: ProcessBackend, embedder: Embedder
) -> None:
    full = make(real_backend, embedder, "full")
    replies = [turn(full, f"Explain {topic}.") for topic in ("tides", "rust", "jazz")]
    proposed = [full.feedback(r.reply.id, "down", "wrong units").proposed for r in replies]
    [rule] = proposed[-1]
    assert (rule.text, rule.status) == ("Use metric units.", "active")
    assert [e.reason for e in full.memory_store.events(rule.id)] == [
        "repeated negative feedback",
        "applied at learning level full",
    ]
    turn(full, "How far is the moon?")
    assert "Use metric units." in full.last_prompt[0].content
