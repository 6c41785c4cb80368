"""The Assistant service over the scripted backend and a real LanceDB store."""

import threading
from collections.abc import Sequence

import pytest

from assistant.compose import Environment, build_assistant, load_environment
from assistant.core import (
    Assistant,
    ReplyDelta,
    ReplyEnded,
    TurnEvent,
    TurnFinished,
    TurnStarted,
)
from assistant.core.errors import InputError, NotFoundError
from assistant.embedder import Embedder
from assistant.llm.fake import ScriptedBackend


def finished(events: list[TurnEvent]) -> TurnFinished:
    last = events[-1]
    assert isinstance(last, TurnFinished)
    return last


def test_send_streams_and_persists(assistant: Assistant, fake: ScriptedBackend) -> None:
    fake.enqueue("Paris is the capital.")
    events = list(assistant.send("Capital of France?"))
    assert isinstance(events[0], TurnStarted)
    deltas = [e.text for e in events if isinstance(e, ReplyDelta)]
    assert len(deltas) == 4 and "".join(deltas) == "Paris is the capital."
    turn = finished(events)
    stored = assistant.messages(turn.conversation.id)
    assert [(m.role, m.content) for m in stored] == [
        ("user", "Capital of France?"),
        ("assistant", "Paris is the capital."),
    ]
    assert assistant.conversation(turn.conversation.id).title == "Capital of France?"
    assert fake.prompts[0][0].role == "system"


def test_sampling_settings_reach_the_backend(env: Environment, fake: ScriptedBackend) -> None:
    """The repeat penalty is off by default, and the config file's value turns it on."""
    for _ in range(2):
        assistant = build_assistant(load_environment(), fake)
        assistant.load()
        list(assistant.send("hi"))
        env.paths.config_file.parent.mkdir(parents=True, exist_ok=True)
        env.paths.config_file.write_text("repeat_penalty = 1.3\ntemperature = 0\n")
    assert [(p.repeat_penalty, p.temperature) for p in fake.params] == [(1.0, 0.2), (1.3, 0.0)]


def test_the_end_of_a_reply_comes_before_it_is_stored(
    assistant: Assistant, fake: ScriptedBackend
) -> None:
    """A shell renders the final reply at ReplyEnded; storing it comes after."""
    fake.enqueue(" The answer. ")
    stored_when_ended: list[int] = []
    for event in assistant.send("Question?"):
        if isinstance(event, ReplyEnded):
            conversation = assistant.conversations()[0].id
            stored_when_ended.append(len(assistant.messages(conversation)))
            assert event.text == "The answer."
        elif isinstance(event, TurnFinished):
            assert event.reply.content == "The answer."
    assert stored_when_ended == [1]  # the user's message only
    assert [m.content for m in assistant.messages(conversation)] == ["Question?", "The answer."]


def test_continue_conversation_sends_history(assistant: Assistant, fake: ScriptedBackend) -> None:
    first = finished(list(assistant.send("one")))
    finished(list(assistant.send("two", first.conversation.id)))
    assert [m.content for m in fake.prompts[1][1:]] == ["one", "echo: one", "two"]
    assert len(assistant.messages(first.conversation.id)) == 4


def test_regenerate_replaces_last_reply(assistant: Assistant, fake: ScriptedBackend) -> None:
    fake.enqueue("bad answer", "better answer")
    turn = finished(list(assistant.send("q")))
    again = finished(list(assistant.regenerate(turn.conversation.id)))
    assert again.reply.content == "better answer"
    assert [m.content for m in assistant.messages(turn.conversation.id)] == ["q", "better answer"]
    old = assistant.store.get_message(turn.reply.id)
    assert old.status == "replaced"
    # the regenerated prompt did not contain the replaced answer
    assert [m.content for m in fake.prompts[1][1:]] == ["q"]


def test_edit_last_resends(assistant: Assistant) -> None:
    turn = finished(list(assistant.send("helo")))
    finished(list(assistant.edit_last(turn.conversation.id, "hello")))
    assert [m.content for m in assistant.messages(turn.conversation.id)] == ["hello", "echo: hello"]
    assert assistant.store.get_message(turn.user_message.id).status == "edited"  # type: ignore[union-attr]


def test_stop_ends_within_one_token(assistant: Assistant, fake: ScriptedBackend) -> None:
    fake.enqueue("one two three four five six")
    fake.gate = threading.Event()
    events = assistant.send("go")
    seen = [next(events), next(events)]  # TurnStarted, "one"
    assert isinstance(seen[1], ReplyDelta)
    assistant.stop()
    fake.gate.set()
    rest = list(events)
    turn = finished(rest)
    assert turn.usage.stopped
    assert turn.reply.content in ("one", "one two")
    assert assistant.messages(turn.conversation.id)[-1].content == turn.reply.content


@pytest.mark.parametrize("bad", ["", "   \n", "a\x00b"])
def test_rejected_input_stores_nothing(assistant: Assistant, bad: str) -> None:
    with pytest.raises(InputError):
        list(assistant.send(bad))
    assert assistant.conversations() == []


def test_too_long_message_is_refused_before_storing(env: Environment, embedder: Embedder) -> None:
    a = build_assistant(env, ScriptedBackend(context_length=1024), embedder)
    a.load()
    with pytest.raises(InputError, match="too long"):
        list(a.send("word " * 5000))
    assert a.conversations() == []


def test_unknown_conversation(assistant: Assistant) -> None:
    with pytest.raises(NotFoundError):
        list(assistant.send("hi", "nope"))
    with pytest.raises(NotFoundError):
        list(assistant.regenerate("nope"))


def test_long_conversation_is_trimmed_not_failed(env: Environment, embedder: Embedder) -> None:
    fake = ScriptedBackend(context_length=700)
    a = build_assistant(env, fake, embedder)
    a.load()
    conv = None
    for i in range(40):
        fake.enqueue(" ".join(["reply"] * 30))
        turn = finished(list(a.send(f"question {i} " + "pad " * 30, conv)))
        conv = turn.conversation.id
    last_prompt = fake.prompts[-1]
    assert last_prompt[0].role == "system"
    assert last_prompt[-1].content.startswith("question 39")
    assert len(last_prompt) < 80
    assert len(a.messages(conv)) == 80  # nothing lost from the store


def test_system_prompt_per_conversation(assistant: Assistant, fake: ScriptedBackend) -> None:
    turn = finished(list(assistant.send("hi", system_prompt="Talk like a pirate.")))
    assert fake.prompts[0][0].content == "Talk like a pirate."
    assistant.set_system_prompt(turn.conversation.id, "Be formal.")
    finished(list(assistant.send("again", turn.conversation.id)))
    assert fake.prompts[1][0].content == "Be formal."


def test_llm_extraction_is_grounded_and_counted(
    home: object, fake: ScriptedBackend, embedder: Embedder
) -> None:
    from assistant.compose import load_environment

    a = build_assistant(load_environment(llm_extraction=True), fake, embedder)
    a.load(embedder=True)
    fake.enqueue(
        "Nice!",
        '{"memories": [{"kind": "fact", "text": "The user adopted a puppy called Miso"},'
        ' {"kind": "fact", "text": "The user owns a yacht"}]}',
        "Sure.",
        "not json at all",
    )
    first = finished(list(a.send("We adopted a puppy called Miso")))
    # The speech extractor takes the sentence first; the model's grounded proposal of
    # the same fact adds nothing, and its ungrounded yacht is dropped.
    learned = [m.text for m in a.learn(first)]
    assert learned == ["The user and their family adopted a puppy called Miso."]
    second = finished(list(a.send("Tell me a joke", first.conversation.id)))
    assert a.learn(second) == []
    stats = a.learning_loop().llm_stats
    assert (stats.calls, stats.ungrounded, stats.parse_failures) == (2, 1, 1)


def test_incognito_uses_and_stores_nothing(assistant: Assistant, fake: ScriptedBackend) -> None:
    assistant.remember("The user prefers short answers.", "preference")
    turn = finished(list(assistant.send("I'm vegetarian", incognito=True)))
    assert turn.incognito and turn.reply.content == "echo: I'm vegetarian"
    assert "short answers" not in fake.prompts[-1][0].content  # no memories used
    assert assistant.learn(turn) == []
    assert assistant.conversations() == []
    assert [m.text for m in assistant.memories()] == ["The user prefers short answers."]
    with pytest.raises(InputError, match="incognito"):
        list(assistant.send("hi", "some-id", incognito=True))


def test_a_chat_at_level_off_never_loads_the_embedder(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    a = build_assistant(env, fake, embedder)
    a.load()
    assert a.settings.learning != "off"
    fake.enqueue("Hi.")
    turn = finished(list(a.send("hello", learning="off")))
    assert turn.learning == "off" and turn.context.block == ""
    assert a.embedder is None  # a learning-off chat pays no seconds of torch import


class CountingEmbedder:
    """The real embedder, noting every text it embeds."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.texts: list[str] = []

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.texts.extend(texts)
        return self.inner.embed(texts)


def test_a_prefetched_draft_is_embedded_once_not_again_at_send(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    counting = CountingEmbedder(embedder)
    a = build_assistant(env, fake, counting)
    a.load()
    a.prefetch("What should I cook tonight?")  # before the embedder is loaded: nothing
    assert counting.texts == []
    a.remember("The user is vegetarian.", "fact")  # loads the embedder
    a.prefetch("  What should I cook tonight? ")
    a.prefetch("What should I cook tonight?")  # the same draft: embedded once
    turn = finished(list(a.send("What should I cook tonight?")))
    assert counting.texts.count("What should I cook tonight?") == 1
    assert turn.context.vector == embedder.embed(["What should I cook tonight?"])[0]
    a.prefetch("a draft the user then rewrote")
    other = finished(list(a.send("Any ideas for lunch?", turn.conversation.id)))
    assert counting.texts.count("Any ideas for lunch?") == 1  # embedded at send instead
    assert other.context.vector == embedder.embed(["Any ideas for lunch?"])[0]
