"""Exporting the open conversation from the command palette (Pilot, scripted backend,
real store)."""

import json

from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot

from assistant.compose import Environment
from assistant.embedder import Embedder
from assistant.llm.fake import ScriptedBackend
from assistant.weights.ledger import written_exports
from tests.tui_helpers import notices, scripted_app, send, settle, type_text


async def run_from_palette(pilot: Pilot[None], query: str, expected: str) -> None:
    """Open the palette, type `query`, and run the first command once it is `expected`."""
    await pilot.press("ctrl+p")
    await type_text(pilot, query)
    palette = pilot.app.screen
    assert isinstance(palette, CommandPalette)
    commands = palette.query_one(CommandList)
    for _ in range(500):  # until the search has offered its hits (a condition, not a time)
        if commands.option_count and expected in str(commands.get_option_at_index(0).prompt):
            break
        await pilot.pause()
    assert expected in str(commands.get_option_at_index(0).prompt)
    await pilot.press("down", "enter")
    await settle(pilot)


async def test_the_palette_exports_the_conversation_as_markdown_and_json(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    fake.enqueue("Pack **light**.")
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await run_from_palette(pilot, "export conversation as markdown", "Markdown")
        assert notices(app)[-1].endswith("There is no stored conversation to export yet.")

        await send(pilot, "packing for Oslo")
        await run_from_palette(pilot, "export conversation as markdown", "Markdown")
        await run_from_palette(pilot, "export conversation as json", "JSON")
        conversation_id = app.conversation_id
        shown = notices(app)[-2:]
    assert conversation_id is not None
    exports = env.paths.data / "exports"
    markdown, document = sorted(exports.iterdir(), key=lambda p: p.suffix, reverse=True)
    assert markdown.name == f"packing-for-oslo-{conversation_id[:8]}.md"
    assert shown == [f"Conversation exported: {markdown}", f"Conversation exported: {document}"]
    text = markdown.read_text("utf-8")
    assert text.startswith("# packing for Oslo\n") and "\nPack **light**.\n" in text
    messages = json.loads(document.read_text("utf-8"))["messages"]
    assert [m["content"] for m in messages] == ["packing for Oslo", "Pack **light**."]
    # Recorded, so that deleting the conversation later names these copies.
    assert {markdown.resolve(), document.resolve()} <= set(written_exports(env.paths))
