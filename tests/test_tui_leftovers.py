"""After a delete, the TUI names the user's copies that still hold the text, as the CLI does.

A memory export the user wrote and a LoRA adapter trained on the conversation are their
copies: a delete in the memory browser or the conversation picker cannot reach them, so
the app says which ones still hold it (assistant/core/ports/copies.py).
"""

import json

from textual.pilot import Pilot

from assistant.compose import Environment
from assistant.embedder import Embedder
from assistant.llm.fake import ScriptedBackend
from assistant.tui.app import AssistantApp
from assistant.tui.screens import ConversationPicker, DeleteConversationPrompt
from assistant.weights.adapters import META_FILE, adapters_dir
from tests.tui_helpers import (
    highlight,
    notices,
    open_browser,
    scripted_app,
    send,
    settle,
    type_text,
)


def shown(app: AssistantApp) -> str:
    return "\n".join(notices(app))


async def delete_memory(pilot: Pilot[None], text: str) -> None:
    """Open the memory browser (f4), move onto the memory with this text, press d."""
    browser = await open_browser(pilot)
    await highlight(pilot, browser, text)
    await pilot.press("d")
    await settle(pilot)


async def delete_conversation(pilot: Pilot[None], query: str) -> None:
    """Open the picker (ctrl+o), find the conversation, delete it with what it taught."""
    await pilot.press("ctrl+o")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ConversationPicker)
    await type_text(pilot, query)
    await pilot.press("f3")
    await settle(pilot)
    assert isinstance(pilot.app.screen, DeleteConversationPrompt)
    await pilot.click("#delete-with-memories")
    await settle(pilot)


def trained_adapter(env: Environment, name: str, message_ids: list[str]) -> None:
    """An adapter folder as `assistant train` leaves it, as far as a delete reads it."""
    folder = adapters_dir(env.paths) / name
    folder.mkdir(parents=True)
    (folder / META_FILE).write_text(json.dumps({"source_message_ids": message_ids}))


async def test_a_memory_delete_names_the_export_that_still_holds_it(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "I am vegetarian")
        export = env.paths.data / "memories.json"
        app.assistant.export_memories(export)  # recorded in the export ledger by the core
        await delete_memory(pilot, "The user is vegetarian.")
        shown_text = shown(app)
        assert "these exports you wrote still contain it:" in shown_text
        assert str(export.resolve()) in shown_text
        assert "LoRA adapters" not in shown_text


async def test_a_conversation_delete_names_exports_and_adapters(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "I am vegetarian")
        conversation = app.conversation_id
        assert conversation is not None
        ids = [m.id for m in app.assistant.messages(conversation)]
        trained_adapter(env, "lora-0001", ids)
        trained_adapter(env, "lora-other", ["not-this-conversation"])
        export = env.paths.data / "memories.json"
        app.assistant.export_memories(export)
        await pilot.press("ctrl+n")
        await delete_conversation(pilot, "vegetarian")
        shown_text = shown(app)
        assert "these exports you wrote still contain it:" in shown_text
        assert str(export.resolve()) in shown_text
        assert "these LoRA adapters were trained on it and may remember it:" in shown_text
        assert "lora-0001" in shown_text and "lora-other" not in shown_text


async def test_a_delete_with_no_copies_says_nothing_more(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "I am vegetarian")
        await delete_memory(pilot, "The user is vegetarian.")
        assert "Still in your copies" not in shown(app)
