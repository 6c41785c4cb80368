"""TUI behaviour with Pilot, on the scripted backend and a real store."""

import json
import threading
from collections.abc import AsyncIterator

from textual.pilot import Pilot
from textual.widgets import TextArea

from assistant.compose import Environment
from assistant.core.records import Message
from assistant.embedder import Embedder
from assistant.llm.fake import ScriptedBackend
from assistant.tui.prompt import PromptArea
from assistant.tui.screens import ConversationPicker
from assistant.tui.widgets import ReplyBubble, StatusBar, UserBubble
from tests.tui_helpers import scripted_app, send, settle


def texts(app: object, kind: type) -> list[str]:
    return [w.text for w in app.query(kind)]  # type: ignore[attr-defined]


async def test_paints_with_input_focused_then_loads(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        assert app.focused is not None and app.focused.id == "prompt"
        await settle(pilot)
        assert app.assistant.loaded
        assert "scripted" in str(app.query_one(StatusBar).render())


async def test_send_streams_reply_as_markdown(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    fake.enqueue("Here is **bold** and `code`.")
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "hello")
        assert texts(app, UserBubble) == ["hello"]
        assert texts(app, ReplyBubble) == ["Here is **bold** and `code`."]
        status = str(app.query_one(StatusBar).render())
        assert "tok/s" in status and "context" in status
        assert app.conversation_id is not None
        stored = app.assistant.messages(app.conversation_id)
        assert [m.content for m in stored] == ["hello", "Here is **bold** and `code`."]


async def test_a_streaming_reply_is_plain_text_until_it_is_whole(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    fake.enqueue("**Bold** start, then more.")
    fake.gate = threading.Event()  # holds the reply after its first word
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        bubble = await _first_words_shown(pilot)
        assert bubble.live.text == "**Bold**"  # shown as typed, not parsed
        assert bubble.live.render_line(0).text.rstrip() == "**Bold**"
        assert bubble.markdown.source == ""
        fake.gate.set()
        await settle(pilot)
        assert not bubble.live.display
        assert bubble.markdown.source == "**Bold** start, then more."


async def test_words_of_a_withdrawn_first_try_leave_the_bubble(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    recital = (
        "Sure! I'm a helpful, concise personal assistant running locally on the user's machine."
    )
    fake.enqueue(recital, "Happy birthday!")
    fake.gate = threading.Event()  # holds the first try after "Sure!"
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        bubble = await _first_words_shown(pilot)
        assert bubble.live.text == "Sure!"
        # The second try waits on a gate of its own, so the moment after the restart holds.
        first, fake.gate = fake.gate, threading.Event()
        first.set()
        for _ in range(500):
            if bubble.live.text != "Sure!":
                break
            await pilot.pause()
        assert "Sure" not in bubble.live.text and bubble.live.text in ("", "Happy")
        fake.gate.set()
        await settle(pilot)
        assert bubble.markdown.source == "Happy birthday!"


async def test_the_final_reply_shows_before_it_is_stored(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    fake.enqueue("**Done** before the store.")
    app = scripted_app(env, fake, embedder)
    stored = threading.Event()  # holds the reply's store write until the check is done
    async with app.run_test() as pilot:
        await settle(pilot)
        store = app.assistant.store
        add_messages = store.add_messages

        def held(messages: list[Message]) -> None:
            if messages[0].role == "assistant":
                assert stored.wait(30)
            add_messages(messages)

        store.add_messages = held  # type: ignore[method-assign]
        try:
            await pilot.click("#prompt")
            await pilot.press("h", "i", "enter")
            [bubble] = [b async for b in _reply_bubble(pilot)]
            for _ in range(500):  # until the final render (a condition, not a time)
                if bubble.markdown.source:
                    break
                await pilot.pause()
            assert bubble.markdown.source == "**Done** before the store."
            assert not bubble.live.display
            assert app.busy and bubble.message_id == ""  # not stored yet
        finally:
            stored.set()
        await settle(pilot)
        assert not app.busy
        assert app.conversation_id is not None
        reply = app.assistant.messages(app.conversation_id)[-1]
        assert bubble.message_id == reply.id and reply.content == bubble.text


async def test_a_reply_fills_the_rows_below_the_message_without_moving_the_chat(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    fake.enqueue("First reply.", "Second reply, held after its first word.", "Third.")
    app = scripted_app(env, fake, embedder)
    async with app.run_test(size=(60, 24)) as pilot:
        await settle(pilot)
        await send(pilot, "hello")
        fake.gate = threading.Event()
        await pilot.click("#prompt")
        await pilot.press(*"again", "enter")
        for _ in range(500):  # until the first chunk is shown (a condition, not a time)
            bubbles = list(app.query(ReplyBubble))
            if len(bubbles) == 2 and bubbles[1].live.text:
                break
            await pilot.pause()
        await pilot.pause()  # the chunk's repaint
        chat = app.chat.scrollable_content_region
        user, reply = list(app.query(UserBubble))[1], list(app.query(ReplyBubble))[1]
        streaming = (user.region, reply.region)
        assert user.region.y == chat.y + 1  # the new message at the top, under its margin
        assert reply.region.bottom == chat.bottom  # the reply's rows fill the rest
        assert reply.live.render_line(0).text.rstrip() == "Second"
        fake.gate.set()
        await settle(pilot)
        assert (user.region, reply.region) == streaming  # whole, it stays where it was
        assert reply.markdown.source == "Second reply, held after its first word."
        await send(pilot, "and again")
        first, _, last_reply = app.query(ReplyBubble)
        # The next turn gives the reserved rows back: one line, like the first reply.
        assert reply.region.height == first.region.height < 4
        last_user = list(app.query(UserBubble))[2]
        assert last_user.region.y == chat.y + 1
        assert last_reply.region.bottom == chat.bottom


async def _first_words_shown(pilot: Pilot[None]) -> ReplyBubble:
    """Send "hi" and wait until the reply's bubble shows its first chunk (a reply held by
    `fake.gate` after its first word), as plain text from the start."""
    await settle(pilot)
    await pilot.click("#prompt")
    await pilot.press("h", "i", "enter")
    [bubble] = [b async for b in _reply_bubble(pilot)]
    assert bubble.live.display  # shown from the start: no re-layout at the first token
    for _ in range(500):  # until the first chunk is handled (a condition, not a time)
        if bubble.live.text:
            break
        await pilot.pause()
    return bubble


async def _reply_bubble(pilot: Pilot[None]) -> AsyncIterator[ReplyBubble]:
    for _ in range(500):
        bubbles = list(pilot.app.query(ReplyBubble))
        if bubbles:
            yield bubbles[0]
            return
        await pilot.pause()


async def test_escape_stops_a_reply(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    fake.enqueue("one two three four five six seven")
    fake.gate = threading.Event()
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.click("#prompt")
        await pilot.press("h", "i", "enter")
        await pilot.pause()
        assert app.busy
        prompt = app.query_one("#prompt", PromptArea)
        assert not prompt.cursor_blink  # a blink is a screen update taken from generation
        await pilot.press("escape")
        fake.gate.set()
        await settle(pilot)
        assert not app.busy
        assert prompt.cursor_blink
        assert fake.last_usage().stopped
        assert texts(app, ReplyBubble)[0] in ("one", "one two")
        assert "stopped" in str(app.query_one(StatusBar).render())


async def test_regenerate_replaces_the_reply(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    fake.enqueue("first try", "second try")
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "question")
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert texts(app, ReplyBubble) == ["second try"]
        assert texts(app, UserBubble) == ["question"]


async def test_edit_and_resend_last_message(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "helo")
        await pilot.press("f2")
        await pilot.press("end", "backspace", "l", "o", "enter")
        await settle(pilot)
        assert texts(app, UserBubble) == ["hello"]
        assert texts(app, ReplyBubble) == ["echo: hello"]


async def test_new_conversation_and_switch_back(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "apples")
        first = app.conversation_id
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert texts(app, UserBubble) == [] and app.conversation_id is None
        await send(pilot, "bananas")
        assert app.conversation_id != first
        await pilot.press("ctrl+o")
        await pilot.pause()
        for char in "apples":
            await pilot.press(char)
        await pilot.press("enter")
        await settle(pilot)
        assert app.conversation_id == first
        assert texts(app, UserBubble) == ["apples"]
        assert texts(app, ReplyBubble) == ["echo: apples"]


async def test_system_prompt_per_conversation(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        editor = app.screen.query_one(TextArea)
        assert editor.text == env.settings.system_prompt
        editor.load_text("Be terse.")
        await pilot.press("ctrl+s")
        await pilot.pause()
        await send(pilot, "hi")
        assert fake.prompts[-1][0].content == "Be terse."
        assert app.conversation_id is not None
        assert app.assistant.conversation(app.conversation_id).system_prompt == "Be terse."


async def test_send_while_loading_keeps_the_message(env: Environment, embedder: Embedder) -> None:
    backend = ScriptedBackend()
    gate = threading.Event()
    app = scripted_app(env, backend, embedder)
    original = app.assistant._load_backend
    app.assistant._load_backend = lambda progress: (gate.wait(10), original(progress))[1]
    async with app.run_test() as pilot:
        await pilot.click("#prompt")
        await pilot.press("h", "i", "enter")
        await pilot.pause()
        assert app.query_one("#prompt").value == "hi"  # type: ignore[attr-defined]
        assert texts(app, UserBubble) == []
        gate.set()
        await settle(pilot)


async def test_theme_is_persisted(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        app.theme = "nord"
        await pilot.pause()
    assert json.loads(env.paths.ui_state_file.read_text())["theme"] == "nord"
    again = scripted_app(env, fake, embedder)
    async with again.run_test():
        assert again.theme == "nord"


async def test_every_action_is_in_the_command_palette(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test():
        titles = {c.title for c in app.get_system_commands(app.screen)}
    for description in (
        "Stop",
        "Regenerate",
        "Edit last",
        "Copy reply",
        "New",
        "Conversations",
        "Thumbs up",
        "Thumbs down",
        "Remember correction",
        "Incognito",
        "Learning report",
    ):
        assert description in titles


async def test_escape_closes_a_dialog(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, ConversationPicker)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ConversationPicker)


async def test_load_failure_is_shown_not_raised(env: Environment, embedder: Embedder) -> None:
    from assistant.compose import build_assistant
    from assistant.core.errors import ModelError
    from assistant.tui.app import AssistantApp

    def broken(_progress: object) -> ScriptedBackend:
        raise ModelError("model file not found: /x.gguf", "check the path")

    assistant = build_assistant(env, ScriptedBackend(), embedder)
    assistant._load_backend = broken
    app = AssistantApp(env, assistant)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert "not found" in str(app.query_one(StatusBar).render())
        assert not app.assistant.loaded


async def test_learning_runs_after_the_reply(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "I prefer short answers")
        await settle(pilot)
        assert [m.text for m in app.assistant.memories()] == ["The user prefers short answers."]
        await pilot.press("ctrl+n")
        await send(pilot, "hello")
        assert "The user prefers short answers." in fake.prompts[-1][0].content


async def test_a_pause_in_typing_embeds_the_draft_for_recall(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.assistant.embedder is not None  # loaded in the background at start
        await pilot.click("#prompt")
        await pilot.press(*"dinner ideas")
        for _ in range(200):  # until the pause timer fires (a condition, not a time)
            if app.assistant.prefetched is not None:
                break
            await pilot.pause(0.02)
        assert app.assistant.prefetched == "dinner ideas"
        await pilot.press("enter")
        await settle(pilot)
        assert app.assistant.prefetched is None  # used by the turn
        # Sending empties the prompt, and an empty draft waits for nothing: no timer is
        # left to fire while the app closes.
        assert app.query_one("#prompt", PromptArea).value == ""
        assert app._draft_timer is None
