"""Daily habits in the TUI, with Pilot on the scripted backend and a real store:
reasoning shown apart, multi-line input, prompt history, copying code blocks, the
welcome state and the memory browser's live updates."""

from assistant.compose import Environment
from assistant.core import reasoning_of
from assistant.embedding import Embedder
from assistant.llm.fake import ScriptedBackend
from assistant.tui.widgets import ReplyBubble
from tests.tui_helpers import scripted_app, send, settle

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
        assert not bubble.thinking.region.height  # collapsed: the thinking takes no rows

        await pilot.press("f3")
        await pilot.pause()
        assert not block.collapsed and bubble.thinking.region.height >= 1
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
