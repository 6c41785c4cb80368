"""Daily habits in the TUI, with Pilot on the scripted backend and a real store:
reasoning shown apart, multi-line input, prompt history, copying code blocks, the
welcome state and the memory browser's live updates."""

import threading
from collections.abc import Callable
from dataclasses import replace

from textual import events
from textual.widgets import OptionList

from assistant.compose import Environment
from assistant.core import BackendLoader, reasoning_of
from assistant.embedder import Embedder
from assistant.llm.fake import ScriptedBackend
from assistant.tui.memory_browser import MemoryBrowser
from assistant.tui.model_picker import ModelPicker
from assistant.tui.prompt import PromptArea
from assistant.tui.welcome import Welcome, uses_embedded_model, welcome_text
from assistant.tui.widgets import ReplyBubble, StatusBar, UserBubble
from tests.test_tui import texts
from tests.test_tui_memory import listed, status_line
from tests.tui_helpers import scripted_app, send, settle, type_text

THINKING = "<think>The user greets me. SECRET-PLAN-42 is to be polite.</think>\nHello to you!"


async def test_thinking_shows_apart_collapsed_and_toggles_for_the_session(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    fake.enqueue(THINKING, "<think>Second SECRET-PLAN-42 step.</think>\nAgain hello.")
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "hello")
        [bubble] = app.chat.query(ReplyBubble)
        assert bubble.text == "Hello to you!"
        assert bubble.reasoning == "The user greets me. SECRET-PLAN-42 is to be polite."
        block = bubble.reasoning_block
        assert block.display and block.collapsed and block.title == "Reasoning (9 words)"
        assert "SECRET" not in bubble.markdown.source
        assert not bubble.thought.region.height  # collapsed: the thinking takes no rows

        await pilot.press("f3")
        await pilot.pause()
        assert not block.collapsed and bubble.thought.region.height >= 1
        await send(pilot, "again")  # a new reply follows the session's choice
        later = list(app.chat.query(ReplyBubble))[-1]
        assert later.text == "Again hello." and not later.reasoning_block.collapsed
        assert all("SECRET" not in m.content for m in fake.prompts[-1])

        stored = app.assistant.messages(app.conversation_id or "")
        assert [m.content for m in stored if m.role == "assistant"] == [
            "Hello to you!",
            "Again hello.",
        ]
        await pilot.press("f3")
        await pilot.press("ctrl+n")
        await app.show_conversation(stored[0].conversation_id)  # reopened from the store
        await pilot.pause()
        reopened = app.chat.query(ReplyBubble).first()
        assert reopened.reasoning == reasoning_of(stored[1])
        assert reopened.reasoning_block.collapsed


async def test_a_reply_without_thinking_has_no_reasoning_block(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    fake.enqueue("Plain answer.")
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "hi")
        [bubble] = app.chat.query(ReplyBubble)
        assert not bubble.reasoning_block.display and bubble.reasoning == ""


async def test_shift_enter_adds_a_line_and_enter_sends_it_whole(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        prompt = app.query_one("#prompt", PromptArea)
        one_line = prompt.region.height
        await pilot.click("#prompt")
        await type_text(pilot, "first line")
        await pilot.press("shift+enter")
        await type_text(pilot, "second")
        await pilot.press("ctrl+j")  # the same, where a terminal cannot tell shift+enter
        await type_text(pilot, "third")
        await pilot.pause()
        assert prompt.value == "first line\nsecond\nthird"
        assert prompt.region.height == one_line + 2  # the prompt grows with its lines
        await pilot.press("enter")
        await settle(pilot)
        assert prompt.value == ""
        assert texts(app, UserBubble) == ["first line\nsecond\nthird"]
        stored = app.assistant.messages(app.conversation_id or "")
        assert stored[0].content == "first line\nsecond\nthird"


async def test_pasted_lines_stay_intact(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    pasted = "def f(x):\n    return x * 2\n\nprint(f(21))"
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        prompt = app.query_one("#prompt", PromptArea)
        await pilot.click("#prompt")
        app.post_message(events.Paste(pasted))  # as the terminal driver does
        await pilot.pause()
        assert prompt.value == pasted
        await pilot.press("enter")
        await settle(pilot)
        assert app.assistant.messages(app.conversation_id or "")[0].content == pasted
        assert fake.prompts[-1][-1].content.endswith(pasted)


async def test_up_and_down_in_an_empty_prompt_walk_earlier_messages(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "one")
        await type_text(pilot, "two")
        await pilot.press("shift+enter", *"lines", "enter")
        await settle(pilot)
        prompt = app.query_one("#prompt", PromptArea)
        walked = []
        for key in ("up", "up", "up", "down", "down"):
            await pilot.press(key)
            walked.append(prompt.value)
        assert walked == ["two\nlines", "one", "one", "two\nlines", ""]
        await type_text(pilot, "draft")
        await pilot.press("up")  # a draft is never replaced: up moves the cursor
        assert prompt.value == "draft"
        await pilot.press("end", "ctrl+u", "up", "backspace")  # an edited recall stops the walk
        assert prompt.value == "two\nline"
        await pilot.press("down")
        assert prompt.value == "two\nline"


async def test_the_apps_keys_still_work_while_the_prompt_has_focus(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    """TextArea's own f6, f7 and ctrl+y would shadow thumbs down, the correction and
    copy reply."""
    fake.enqueue("Copied answer.")
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "question")
        assert app.focused is app.query_one("#prompt")
        await pilot.press("ctrl+y")
        assert app.clipboard == "Copied answer."
        await pilot.press("f7")
        await pilot.pause()
        assert "no correction" in " ".join(str(n.message) for n in app._notifications)


async def test_the_prompt_history_reaches_back_into_earlier_sessions(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    first = scripted_app(env, fake, embedder)
    async with first.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "from yesterday")
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "today")
        await pilot.press("up", "up")
        assert app.query_one("#prompt", PromptArea).value == "from yesterday"


CODE_REPLY = "Two ways:\n\n```python\nprint('one')\n```\n\nor\n\n```sh\necho two\n```\n"


async def test_a_clicked_code_block_is_copied_alone(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    fake.enqueue(CODE_REPLY)
    app = scripted_app(env, fake, embedder)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "show me")
        bubble = app.chat.query_one(ReplyBubble)
        second = bubble.code_blocks()[1]
        await pilot.click(second)
        await pilot.pause()
        assert app.clipboard == "echo two"
        assert second.has_class("-copied") and bubble.marked_code == 1


async def test_ctrl_g_walks_the_code_blocks_and_ctrl_y_copies_the_whole_reply(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    fake.enqueue(CODE_REPLY, "No code here.")
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "show me")
        copied = []
        for _ in range(3):
            await pilot.press("ctrl+g")
            copied.append(app.clipboard)
        assert copied == ["print('one')", "echo two", "print('one')"]
        await pilot.press("ctrl+y")
        assert app.clipboard == CODE_REPLY.strip()
        await send(pilot, "more")
        await pilot.press("ctrl+g")  # the latest reply has none: nothing is copied
        assert app.clipboard == CODE_REPLY.strip()


async def test_the_welcome_shows_until_the_first_message_and_after_ctrl_n(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    gate = threading.Event()
    app = scripted_app(env, fake, embedder)
    original = app.assistant._load_backend
    app.assistant._load_backend = lambda progress: (gate.wait(10), original(progress))[1]
    async with app.run_test() as pilot:
        welcome = app.chat.query_one(Welcome)
        await pilot.pause()
        loading = str(welcome.render())  # painted before the model loads
        assert "(loading…)" in loading and "counting…" in loading
        gate.set()
        await settle(pilot)
        shown = str(welcome.render())
        assert "Model     scripted · the small embedded model" in shown
        assert "0 preferences, 0 facts" in shown and "from 0 conversations" in shown
        assert "f4 memory browser" in shown
        await send(pilot, "I prefer short answers")
        assert not app.chat.query(Welcome)
        await settle(pilot)  # learning
        await pilot.press("ctrl+n")
        await settle(pilot)
        again = str(app.chat.query_one(Welcome).render())
        assert "1 preference, 0 facts" in again and "from 1 conversation\n" in again
        await pilot.press("ctrl+n", "f8", "f8")  # new chats in quick succession
        await settle(pilot)
        assert len(app.chat.query(Welcome)) == 1 and len(app.chat.children) == 1


def test_which_settings_use_the_small_embedded_model(env: Environment) -> None:
    settings = env.settings
    assert uses_embedded_model(replace(settings, model=""))
    assert not uses_embedded_model(replace(settings, model="/models/big.gguf"))
    assert not uses_embedded_model(replace(settings, backend="openai", model=""))
    assert "learning is off" in welcome_text("m", False, None, "off")
    assert "counting…" in welcome_text("m", False, None, "memory")


async def test_the_open_memory_browser_shows_a_memory_learned_meanwhile(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    """The issue's walk-through: send, open f4 before learning ends; the memory shows
    without closing and reopening the browser, and so does one it supersedes."""
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        for text, before, after, note in (
            ("I live in Berlin.", [], ["The user lives in Berlin."], "1 memory learned"),
            (
                "I live in Hamburg.",
                ["The user lives in Berlin."],
                ["The user lives in Hamburg.", "The user lives in Berlin."],
                "1 memory learned, 1 superseded",
            ),
        ):
            fake.gate = threading.Event()  # holds the reply, and so its learning
            await pilot.click("#prompt")
            await type_text(pilot, text)
            await pilot.press("enter")
            await pilot.press("f4")  # while the reply is held: nothing learned yet
            browser = app.screen
            assert isinstance(browser, MemoryBrowser)
            for _ in range(200):  # until its listing is in (a condition, not a time)
                await pilot.pause()
                if "Loading" not in status_line(browser):
                    break
            assert listed(browser) == before and not fake.gate.is_set()
            fake.gate.set()
            await settle(pilot)
            assert app.screen is browser
            assert listed(browser) == after
            assert status_line(browser).endswith(note)
            await pilot.press("escape")
            await settle(pilot)
        statuses = {m.text: m.status for m in browser.memories}
        assert statuses["The user lives in Berlin."] == "superseded"


async def test_switching_the_model_from_the_palette_keeps_the_conversation(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    env.paths.models.mkdir(parents=True, exist_ok=True)
    (env.paths.models / "other.gguf").write_bytes(b"GGUF")  # listed; a scripted one loads
    other = ScriptedBackend()
    other.enqueue("From the other model.")
    gate = threading.Event()
    app = scripted_app(env, fake, embedder)
    loaded: list[str] = []

    def load_other(model: str) -> BackendLoader:
        def load(progress: Callable[[str], None]) -> ScriptedBackend:
            loaded.append(model)
            progress("Loading other.gguf…")
            gate.wait(10)
            return other

        return load

    app.loader_for = load_other
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "first question")
        conversation = app.conversation_id
        app.action_switch_model()  # what the palette's "Switch model" runs
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, ModelPicker)
        labels = [str(o.prompt) for o in picker.query_one(OptionList).options]
        assert labels[0].endswith("(the small embedded model · in use)")
        assert labels[-1] == "other.gguf  (models dir)"
        await pilot.press("end", "enter")
        await pilot.pause()
        assert loaded == ["other.gguf"]
        assert "Loading other.gguf" in str(app.query_one(StatusBar).render())
        await pilot.click("#prompt")
        await type_text(pilot, "kept while loading")
        await pilot.press("enter")  # refused while the model loads: the text stays
        await pilot.pause()
        assert app.query_one("#prompt", PromptArea).value == "kept while loading"
        gate.set()
        await settle(pilot)
        assert app.assistant.backend is other
        assert app.assistant.settings.model == "other.gguf"
        await pilot.press("enter")
        await settle(pilot)
        assert app.conversation_id == conversation
        assert texts(app, ReplyBubble)[-1] == "From the other model."
        history = [m.content for m in other.prompts[-1]]
        assert "first question" in history and "echo: first question" in history
        assert "Switch model" in {c.title for c in app.get_system_commands(app.screen)}


async def test_thinking_streams_into_its_block_before_the_answer(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    fake.enqueue("<think>Pondering deeply</think>\nThe answer.")
    fake.gate = threading.Event()  # holds the reply after its first word
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.click("#prompt")
        await pilot.press("h", "i", "enter")
        for _ in range(200):  # until the first word is on screen (a condition, not a time)
            await pilot.pause()
            replies = list(app.chat.query(ReplyBubble))
            if replies and replies[0].reasoning:
                break
        bubble = app.chat.query_one(ReplyBubble)
        assert bubble.reasoning == "Pondering"
        assert bubble.reasoning_block.display and bubble.reasoning_block.title == "Thinking…"
        assert bubble.live.text == ""  # nothing of it in the answer
        fake.gate.set()
        await settle(pilot)
        assert bubble.text == "The answer." and bubble.reasoning == "Pondering deeply"
        assert bubble.reasoning_block.title == "Reasoning (2 words)"
