"""The learning loop end to end: real model, real embedder, real LanceDB."""

from datetime import date
from pathlib import Path

import pytest

from assistant.compose import build_assistant, load_environment
from assistant.core import Assistant, TurnFinished
from assistant.embedder import Embedder
from assistant.llm.process import ProcessBackend

pytestmark = pytest.mark.real


@pytest.fixture
def assistant(home: Path, real_backend: ProcessBackend, embedder: Embedder) -> Assistant:
    a = build_assistant(load_environment(max_tokens=16, temperature=0.0), real_backend, embedder)
    a.load(embedder=True)
    return a


def turn(a: Assistant, text: str, conversation: str | None = None) -> TurnFinished:
    *_, last = a.send(text, conversation)
    assert isinstance(last, TurnFinished)
    return last


def prompt_text(a: Assistant) -> str:
    return "\n".join(m.content for m in a.last_prompt)


def test_taught_facts_reach_a_new_conversation_and_update(assistant: Assistant) -> None:
    first = turn(assistant, "I'm vegetarian and I live in Lisbon")
    learned = assistant.learn(first)
    assert {m.text for m in learned} == {"The user is vegetarian.", "The user lives in Lisbon."}

    cook = turn(assistant, "what should I cook tonight?")
    assert cook.conversation.id != first.conversation.id
    assert "The user is vegetarian." in [m.text for m in cook.context.preferences]
    assert "The user is vegetarian." in assistant.last_prompt[0].content  # in the real prompt
    assert assistant.learn(cook) == []

    moved = turn(assistant, "I moved to Berlin")
    changes = {(m.text, m.status) for m in assistant.learn(moved)}
    assert changes == {
        ("The user lives in Berlin.", "active"),
        ("The user lives in Lisbon.", "superseded"),
    }
    where = turn(assistant, "Where do I live?")
    assert "Berlin" in prompt_text(assistant)
    assert "Lisbon" not in prompt_text(assistant)
    assert all("Lisbon" not in h.text for h in (*where.context.memories, *where.context.messages))


def test_questions_teach_nothing(assistant: Assistant) -> None:
    assert assistant.learn(turn(assistant, "Do you like pizza?")) == []
    assert assistant.memories() == []


def test_preference_block_is_byte_identical_and_prefix_is_reused(assistant: Assistant) -> None:
    assistant.learn(turn(assistant, "I prefer short answers"))
    one = turn(assistant, "Tell me about tea.")
    system_one = assistant.last_prompt[0].content
    two = turn(assistant, "And about coffee?", one.conversation.id)
    system_two = assistant.last_prompt[0].content
    assert system_one == system_two
    assert "The user prefers short answers." in system_two
    system_tokens = assistant.backend.count_tokens(system_two)
    assert two.usage.cached_prompt_tokens > system_tokens


def test_llm_extraction_on_the_real_model_stores_no_junk(
    home: Path, real_backend: ProcessBackend, embedder: Embedder
) -> None:
    env = load_environment(max_tokens=8, temperature=0.0, llm_extraction=True)
    a = build_assistant(env, real_backend, embedder)
    a.load(embedder=True)
    assert a.learn(turn(a, "Do you like pizza?")) == []
    stats = a.learning_loop().llm_stats
    assert stats.calls == 1  # it ran; whatever it proposed was counted, not stored
    assert a.memories() == []


def test_a_change_mid_conversation_keeps_the_system_block_and_rides_as_a_note(
    assistant: Assistant,
) -> None:
    lisbon = turn(assistant, "I live in Lisbon")
    assistant.learn(lisbon)
    chat = turn(assistant, "Tell me about trams.")
    system = assistant.last_prompt[0].content
    assert "The user lives in Lisbon." in system
    assistant.learn(turn(assistant, "I moved to Berlin", chat.conversation.id))

    after = turn(assistant, "Any museums to see?", chat.conversation.id)
    assert assistant.last_prompt[0].content == system  # the cached prefix survives
    newest = assistant.last_prompt[-1].content
    assert "- The user lives in Berlin." in newest
    assert "- No longer true: The user lives in Lisbon." in newest
    # A whole conversation of history was cached: only the new turn was evaluated.
    assert after.usage.cached_prompt_tokens > assistant.backend.count_tokens(system)

    again = turn(assistant, "And parks?", chat.conversation.id)
    assert "<updates>" not in assistant.last_prompt[-1].content  # said once, kept in history
    assert "<updates>" in "\n".join(m.content for m in assistant.last_prompt[1:-1])
    assert again.usage.cached_prompt_tokens > after.usage.cached_prompt_tokens

    turn(assistant, "Where should I live?")  # a new conversation starts from what is true now
    assert "Berlin" in assistant.last_prompt[0].content
    assert "Lisbon" not in prompt_text(assistant)


def test_natural_speech_is_learned_dated_and_recalled(assistant: Assistant) -> None:
    adopted = turn(assistant, "Guess what, we adopted another puppy called Pixie yesterday!")
    [memory] = assistant.learn(adopted)
    said = adopted.user_message
    assert said is not None
    day_before = said.created_at.date().toordinal() - 1
    when = date.fromordinal(day_before)
    assert memory.text == (
        f"The user and their family adopted another puppy called Pixie on {when.day} {when:%B %Y}."
    )
    assert memory.source_ids == (said.id,)
    assert assistant.learn(turn(assistant, "Thanks, talk to you later!")) == []
    later = turn(assistant, "What is my new puppy called?")
    assert memory.id in [h.id for h in later.context.memories]
