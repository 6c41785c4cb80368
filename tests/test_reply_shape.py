"""Where a reply ends: loops cut at their first repeat, brevity held to its sentences.

The rules (assistant/core/reply_shape.py) are pure; they are also run through the
Assistant on the scripted backend (what streams, what is stored) and on the real model.
"""

from pathlib import Path

import pytest

from assistant.compose import build_assistant, load_environment
from assistant.core import Assistant, ReplyDelta, ReplyRestarted, TurnFinished
from assistant.core.reply_shape import ReplyShape, sentence_limit
from assistant.embedder import Embedder
from assistant.llm.fake import ScriptedBackend
from assistant.llm.process import ProcessBackend


def shaped(text: str, sentences: int | None = None, step: int = 3) -> tuple[list[str], str, str]:
    """Stream `text` through a shape in `step`-character pieces, as a model would:
    (what was shown piece by piece, the reply, why it ended)."""
    shape = ReplyShape(sentences)
    shown = []
    for i in range(0, len(text), step):
        shown.append(shape.feed(text[i : i + step]))
        if shape.done:
            break
    shown.append(shape.finish())
    return shown, "".join(shown).strip(), shape.why


@pytest.mark.parametrize("step", [1, 3, 7, 1000])
def test_a_repeated_line_ends_the_reply_before_its_second_copy_shows(step: int) -> None:
    looping = "Good morning! I'm glad to have you here.\n\nI'm glad to have you here.\n\nI'm gl"
    shown, reply, why = shaped(looping, step=step)
    assert reply == "Good morning! I'm glad to have you here."
    assert why == "loop"
    # The copy never reached the screen: held back while it could still be a repeat.
    assert "".join(shown).count("glad") == 1


def test_a_repeated_bullet_leaves_no_bullet_behind() -> None:
    shown, reply, why = shaped("Names:\n* Luna\n* Luna's Cute\n* Luna's Cute\n* Lu", step=1)
    assert (reply, why) == ("Names:\n* Luna\n* Luna's Cute", "loop")
    assert "".join(shown).rstrip() == reply  # no lone "*" went out before the cut


def test_code_in_a_fence_may_repeat_its_lines_and_prose_after_it_may_not() -> None:
    code = (
        "Here it is:\n```python\nprint('hello big world')\nx = 1\n"
        "print('hello big world')\n" + "0" * 20 + "\n```\nRun it twice."
    )
    shown, reply, why = shaped(code)
    assert (reply, why) == (code, "")
    assert "".join(shown) == code
    _, reply, why = shaped(code + "\nThen read the output.\nThen read the output.\n")
    assert (reply, why) == (code + "\nThen read the output.", "loop")


def test_numbered_items_that_say_the_same_are_a_loop() -> None:
    text = "1. Walk at lunch. 2. Take a nap after work. 3. Take a nap after work. 4. Take"
    _, reply, why = shaped(text)
    assert (reply, why) == ("1. Walk at lunch. 2. Take a nap after work.", "loop")


def test_a_short_line_said_twice_in_a_row_is_a_loop() -> None:
    shown, reply, why = shaped("hello there! hello there! hello there! hello")
    assert (reply, why) == ("hello there!", "loop")
    assert "".join(shown).strip() == "hello there!"


def test_a_stuck_digit_and_a_phrase_said_three_times_are_loops() -> None:
    _, reply, why = shaped("To reach your dentist, dial 1111111111111111111111111111")
    assert (reply, why) == ("To reach your dentist, dial", "loop")
    _, reply, why = shaped("door type name " * 6)
    assert why == "loop" and reply.count("door") <= 4  # unpunctuated: not held back
    # A long phrase, with only commas in it, said over and over.
    phrase = "and a side of spicy BBQ sauce, crispy on the outside and tender on the inside, "
    _, reply, why = shaped("Grill some chicken, " + phrase * 8)
    assert why == "loop" and reply.count("crispy") <= 3
    # Said twice is not yet a loop: a reply may restate a long phrase once.
    _, reply, why = shaped("Grill some chicken, " + phrase * 2 + "then serve.")
    assert why == ""


@pytest.mark.parametrize(
    "text",
    [
        "Yes. Yes. Yes. That works.",  # short units may repeat
        "Mix 1. flour, 2. sugar. Then bake for 20 minutes at 180 C.",
        "The answer is 1000000 (one million).",
        "Step one: stir.\nStep two: stir again.\nStep three: serve.",
    ],
)
def test_ordinary_replies_pass_whole(text: str) -> None:
    shown, reply, why = shaped(text)
    assert (reply, why) == (text, "")
    assert "".join(shown) == text


def test_brevity_ends_after_the_allowed_sentences() -> None:
    text = "A rainbow forms in rain. Light bends in each drop. Colours split. We see an arc."
    _, reply, why = shaped(text, sentences=2)
    assert (reply, why) == ("A rainbow forms in rain. Light bends in each drop.", "brevity")
    # A list marker or an abbreviation is not a sentence end.
    _, reply, _ = shaped("Try e.g. tea. 1. Sleep well. 2. Walk daily. 3. Eat.", sentences=2)
    assert reply == "Try e.g. tea. 1. Sleep well."


@pytest.mark.parametrize(
    ("preferences", "message", "limit"),
    [
        (["The user prefers short answers, one or two sentences at most."], "", 2),
        (["The user prefers short answers."], "", 3),
        (["The user wants brief replies."], "", 3),
        (["The user likes answers in three sentences."], "", 3),
        (["The user likes tea.", "The user is vegetarian."], "", None),
        (["The user is a concise writer of long letters."], "", None),
        (["The user prefers short answers."], "Explain in detail how tides work.", None),
        (["The user prefers concise answers.", "Answer in one sentence."], "", 1),
        (["The user writes two sentences a day in a diary."], "", None),
    ],
)
def test_the_sentence_limit_comes_from_a_brevity_preference(
    preferences: list[str], message: str, limit: int | None
) -> None:
    assert sentence_limit(preferences, message) == limit


def test_the_assistant_stores_and_streams_the_loop_cut(
    assistant: Assistant, fake: ScriptedBackend
) -> None:
    fake.enqueue("Hello Maya, good morning to you. " * 8)
    events = list(assistant.send("Greet me"))
    *_, turn = events
    assert isinstance(turn, TurnFinished)
    assert turn.reply.content == "Hello Maya, good morning to you."
    assert turn.ended_by == "loop"
    streamed = "".join(e.text for e in events if isinstance(e, ReplyDelta))
    assert streamed.strip() == turn.reply.content
    assert turn.usage.completion_tokens < 20  # the model was stopped, not run to the end
    [_, stored] = assistant.messages(turn.conversation.id)
    assert stored.content == turn.reply.content


def test_a_learned_brevity_preference_shortens_the_next_reply(
    assistant: Assistant, fake: ScriptedBackend
) -> None:
    long = "Rain splits light. Each drop bends it. The colours fan out. We see an arc."
    fake.enqueue(long, long, long)
    *_, before = assistant.send("Explain rainbows")
    assert isinstance(before, TurnFinished) and before.reply.content == long
    assistant.remember(
        "The user prefers short answers, one or two sentences at most.", "preference"
    )
    *_, after = assistant.send("Explain rainbows")
    assert isinstance(after, TurnFinished)
    assert after.reply.content == "Rain splits light. Each drop bends it."
    assert after.ended_by == "brevity"
    *_, detailed = assistant.send("Explain rainbows in detail")
    assert isinstance(detailed, TurnFinished) and detailed.reply.content == long


def test_the_real_model_keeps_to_two_sentences_once_it_learned_the_preference(
    home: Path, real_backend: ProcessBackend, embedder: Embedder
) -> None:
    a = build_assistant(load_environment(max_tokens=160, temperature=0.0), real_backend, embedder)
    a.load(embedder=True)
    *_, stated = a.send("I prefer short answers, one or two sentences at most.")
    assert isinstance(stated, TurnFinished)
    learned = a.learn(stated)
    assert any(sentence_limit([m.text]) == 2 for m in learned), [m.text for m in learned]
    *_, turn = a.send("Tell me about the history of the bicycle.")
    assert isinstance(turn, TurnFinished)
    reply = turn.reply.content
    assert reply and len(reply.split()) <= 60, reply
    assert turn.ended_by in {"brevity", ""}  # the model may end sooner on its own
    assert turn.usage.completion_tokens < 160


SYSTEM = "You are a helpful, concise personal assistant running locally on the user's machine."


@pytest.mark.parametrize("step", [1, 4, 1000])
def test_a_sentence_reciting_the_system_prompt_is_cut_before_it_shows(step: int) -> None:
    shape = ReplyShape(scaffold=[SYSTEM])
    text = (
        "I can't bake, sorry. I'm a helpful, concise personal assistant running locally"
        " on the user's machine. Anything else?"
    )
    shown = [shape.feed(text[i : i + step]) for i in range(0, len(text), step)]
    shown.append(shape.finish())
    assert shape.text == "I can't bake, sorry."
    assert shape.why == "echo"
    # At most a word or two went out before the recitation showed itself.
    assert "".join(shown).startswith("I can't bake, sorry.")
    assert "helpful" not in "".join(shown)


def test_a_reply_that_is_only_a_recitation_is_kept_whole_and_a_short_overlap_passes() -> None:
    text = "You are a helpful, concise personal assistant running locally here."
    _, reply, why = shaped_with(text, [SYSTEM])
    assert (reply, why) == (text, "")  # nothing would be left: the echo check records it
    ordinary = "Here is a helpful, concise answer: boil it for six minutes."
    assert shaped_with(ordinary, [SYSTEM])[1:] == (ordinary, "")


def shaped_with(text: str, scaffold: list[str]) -> tuple[list[str], str, str]:
    shape = ReplyShape(scaffold=scaffold)
    shown = [shape.feed(text[i : i + 3]) for i in range(0, len(text), 3)]
    shown.append(shape.finish())
    return shown, "".join(shown).strip(), shape.why


@pytest.mark.parametrize("step", [1, 4, 1000])
def test_a_sentence_said_again_with_a_word_swapped_is_a_loop(step: int) -> None:
    tea = (
        "Boil the water first. To make the green tea, you'll need to add a few drops of "
        "green tea powder to the kettle. To brew the green tea, you'll need to add a few "
        "drops of green tea powder to the kettle. To"
    )
    shown, reply, why = shaped(tea, step=step)
    assert why == "loop"
    assert reply == tea[: tea.index(" To brew")]
    assert "brew" not in "".join(shown)  # held back while it could be the reworded copy


def test_short_steps_that_differ_by_a_word_and_reworded_long_ones_that_differ_more_stay() -> None:
    steps = (
        "1. Add the flour to the bowl and mix well.\n"
        "2. Add the sugar to the bowl and mix well.\n"
        "3. Add the eggs to the bowl and mix well.\n"
    )
    assert shaped(steps)[1:] == (steps.strip(), "")
    week = (
        "On Monday, go for a thirty minute run in the park near your home. "
        "On Tuesday, go for a forty minute swim at the pool near your office."
    )
    assert shaped(week)[1:] == (week, "")


MAYA = "\"I'm Maya, a helpful, concise personal assistant running locally on the user's machine.\""


def test_a_reply_that_recites_from_its_first_words_ends_empty_when_it_may_be_asked_again() -> None:
    shape = ReplyShape(scaffold=[SYSTEM], may_retry=True)
    shown = [shape.feed(MAYA[i : i + 4]) for i in range(0, len(MAYA), 4)]
    shown.append(shape.finish())
    assert (shape.text, shape.why, shape.recited_from_start) == ("", "echo", True)
    assert "helpful" not in "".join(shown)
    # A recitation after an answer is cut as before, and is no reason to ask again.
    later = ReplyShape(scaffold=[SYSTEM], may_retry=True)
    later.feed("I can't bake, sorry. " + MAYA)
    assert (later.text, later.recited_from_start) == ("I can't bake, sorry.", False)


def test_the_assistant_asks_once_more_when_the_reply_only_recited_its_instructions(
    assistant: Assistant, fake: ScriptedBackend
) -> None:
    fake.enqueue(MAYA, "Happy birthday, Maya!")
    events = list(assistant.send("Write a one-line birthday message for me."))
    *_, turn = events
    assert isinstance(turn, TurnFinished)
    assert (turn.reply.content, turn.retried) == ("Happy birthday, Maya!", True)
    first, second = fake.params
    assert second.temperature >= 0.7 > first.temperature  # greedy would say it again
    assert fake.prompts[0] == fake.prompts[1]
    streamed = "".join(e.text for e in events if isinstance(e, ReplyDelta))
    assert streamed.endswith("Happy birthday, Maya!") and "helpful" not in streamed
    [_, stored] = assistant.messages(turn.conversation.id)
    assert stored.content == "Happy birthday, Maya!"


def test_words_a_withdrawn_first_try_showed_are_taken_back(
    assistant: Assistant, fake: ScriptedBackend
) -> None:
    fake.enqueue("Sure! " + MAYA.strip('"'), "Happy birthday, Maya!")
    events = list(assistant.send("Write a one-line birthday message for me."))
    [restart] = [i for i, e in enumerate(events) if isinstance(e, ReplyRestarted)]
    before = "".join(e.text for e in events[:restart] if isinstance(e, ReplyDelta))
    after = "".join(e.text for e in events[restart:] if isinstance(e, ReplyDelta))
    assert before.startswith("Sure!") and "helpful" not in before
    assert after == "Happy birthday, Maya!"
    *_, turn = events
    assert isinstance(turn, TurnFinished)
    assert (turn.reply.content, turn.retried) == ("Happy birthday, Maya!", True)


def test_a_second_recitation_is_kept_rather_than_an_empty_reply(
    assistant: Assistant, fake: ScriptedBackend
) -> None:
    fake.enqueue(MAYA, MAYA)
    *_, turn = assistant.send("Say hello to me by name.")
    assert isinstance(turn, TurnFinished)
    assert (turn.reply.content, turn.retried, len(fake.params)) == (MAYA, True, 2)


def test_the_real_model_is_asked_again_when_it_recites_its_instructions(
    home: Path, real_backend: ProcessBackend, embedder: Embedder
) -> None:
    """On the default model, greedy, "Call me Maya" then a birthday message recited the
    system prompt as the whole reply (bench_answers); the reply kept is a second try."""
    env = load_environment(max_tokens=64, temperature=0.0, seed=7)
    a = build_assistant(env, real_backend, embedder)
    a.load(embedder=True)
    *_, stated = a.send("Call me Maya.")
    assert isinstance(stated, TurnFinished)
    a.learn(stated)
    *_, turn = a.send("Write a one-line birthday message for me.")
    assert isinstance(turn, TurnFinished)
    assert turn.retried, turn.reply.content
    assert turn.reply.content and "concise personal assistant running" not in turn.reply.content
