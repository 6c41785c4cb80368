"""A reply the user turned away is never recalled as something known.

Regenerating a reply, editing a turn away or voting a reply down says it was wrong;
recalled later as "[earlier conversation]", it would pass the wrong answer off as known.
The scripted backend writes the replies; the store, the index and the embedder are real.
"""

from pathlib import Path

from assistant.compose import build_assistant, load_environment
from assistant.core import Assistant, TurnFinished
from assistant.embedder import Embedder
from assistant.llm.fake import ScriptedBackend

ASK = "What is the capital city of Australia?"
LATER = "Which city is the capital of Australia?"


def turn(a: Assistant, text: str, conversation: str | None = None) -> TurnFinished:
    *_, last = a.send(text, conversation)
    assert isinstance(last, TurnFinished)
    a.learn(last)
    return last


def recalled(a: Assistant, fake: ScriptedBackend) -> set[str]:
    """The message ids a new conversation's turn is given."""
    fake.enqueue("Noted.")
    return {h.id for h in turn(a, LATER).context.messages}


def test_a_regenerated_reply_is_not_recalled_and_its_replacement_is(
    assistant: Assistant, fake: ScriptedBackend
) -> None:
    fake.enqueue("Sydney is the capital city of Australia.")
    first = turn(assistant, ASK)
    assert first.reply.id in recalled(assistant, fake)  # recalled before it is turned away

    fake.enqueue("Canberra is the capital city of Australia.")
    *_, second = assistant.regenerate(first.conversation.id)
    assert isinstance(second, TurnFinished)
    assistant.learn(second)

    ids = recalled(assistant, fake)
    assert first.reply.id not in ids
    assert second.reply.id in ids
    assert first.reply.id not in {h.id for h in assistant.recall(LATER, k=10)}


def test_a_turn_edited_away_is_not_recalled(assistant: Assistant, fake: ScriptedBackend) -> None:
    fake.enqueue("Sydney is the capital city of Australia.")
    first = turn(assistant, ASK)
    fake.enqueue("Canberra is the capital city of Australia.")
    *_, edited = assistant.edit_last(first.conversation.id, "What's the capital of Austria?")
    assert isinstance(edited, TurnFinished)
    assistant.learn(edited)

    ids = recalled(assistant, fake)
    assert first.user_message is not None
    assert not ids & {first.user_message.id, first.reply.id}


def test_a_reply_voted_down_is_not_recalled_until_voted_up(
    assistant: Assistant, fake: ScriptedBackend
) -> None:
    fake.enqueue("Sydney is the capital city of Australia.")
    first = turn(assistant, ASK)
    assistant.feedback(first.reply.id, "down", "wrong")
    assert first.reply.id not in recalled(assistant, fake)
    assistant.feedback(first.reply.id, "up")  # the last vote wins
    assert first.reply.id in recalled(assistant, fake)


def test_at_learning_level_memory_a_regenerated_reply_is_turned_away_too(
    home: Path, fake: ScriptedBackend, embedder: Embedder
) -> None:
    # No feedback is recorded at this level: the reply's own status says it was replaced.
    a = build_assistant(load_environment(learning="memory"), fake, embedder)
    a.load()
    fake.enqueue("Sydney is the capital city of Australia.")
    first = turn(a, ASK)
    fake.enqueue("Canberra is the capital city of Australia.")
    *_, second = a.regenerate(first.conversation.id)
    assert isinstance(second, TurnFinished)
    a.learn(second)
    assert a.memory_store.signals() == []
    ids = recalled(a, fake)
    assert first.reply.id not in ids
    assert second.reply.id in ids
