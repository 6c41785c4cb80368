"""A reasoning model's thinking through the real stack: the real embedder, a real
LanceDB on disk and a dataset export rendered through the real model's template,
with a scripted reply that holds a `<think>` block. The thinking is kept for the user
to read and reaches nothing built from the reply's text."""

from pathlib import Path

import pytest

from assistant.cli import _turn_json
from assistant.compose import build_assistant, load_environment
from assistant.core import ReasoningDelta, ReplyDelta, ReplyEnded, TurnFinished, reasoning_of
from assistant.embedder import Embedder
from assistant.llm.fake import ScriptedBackend
from assistant.weights.dataset_export import export_dataset
from tests.erasure import traces

pytestmark = pytest.mark.real
MARKER = "QX-THINK-7731"
THOUGHT = f"{MARKER}: maybe the user prefers mushrooms. I am thinking carefully."


def test_thinking_is_kept_apart_from_everything_built_from_the_reply(
    home: Path, fake: ScriptedBackend, embedder: Embedder, gguf_path: Path
) -> None:
    env = load_environment(model=str(gguf_path), learning="full")
    a = build_assistant(env, fake, embedder)
    a.load(embedder=True)
    fake.enqueue(
        f"<think>\n{THOUGHT}\n</think>\n\nNoted: no meat.",
        f"<think>{MARKER} again: I prefer lentils.</think>\nTry a lentil curry.",
    )

    events = list(a.send("I am vegetarian, so no meat please."))
    thinking = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    answer = "".join(e.text for e in events if isinstance(e, ReplyDelta))
    assert thinking.strip() == THOUGHT and MARKER not in answer
    ended = next(e for e in events if isinstance(e, ReplyEnded))
    assert (ended.text, ended.reasoning) == ("Noted: no meat.", THOUGHT)
    first = events[-1]
    assert isinstance(first, TurnFinished)
    learned = a.learn(first)

    stored = a.messages(first.conversation.id)[-1]
    assert stored.content == "Noted: no meat."  # the reply's text, as learning reads it
    assert reasoning_of(stored) == THOUGHT  # the thinking, still there to read
    assert learned and all(MARKER not in m.text for m in learned)
    shown = _turn_json(first, learned)  # `assistant chat --json`
    assert (shown["reply"], shown["reasoning"]) == ("Noted: no meat.", THOUGHT)

    *_, second = a.send("What should I cook tonight?", first.conversation.id)
    assert isinstance(second, TurnFinished)
    a.learn(second)
    history = fake.prompts[-1]
    assert "Noted: no meat." in [m.content for m in history]
    assert all(MARKER not in m.content and "<think>" not in m.content for m in history)

    a.feedback(first.reply.id, "up")
    a.correct(second.reply.id, "A chickpea stew.")
    assert all(MARKER not in m.text for m in a.memories(("active", "superseded")))
    assert all(MARKER not in s.context for s in a.memory_store.signals())
    hits = a.recall(f"{MARKER} mushrooms lentils")
    assert hits and all(MARKER not in h.text for h in hits)

    result = export_dataset(env, a)
    assert result.counts["sft"] >= 1 and result.counts["dpo"] >= 1
    assert traces([result.path], MARKER) == []

    a.delete_conversation(first.conversation.id)
    assert traces([env.paths.data, env.paths.config], MARKER) == []
