"""Helpers shared by the Pilot tests and the snapshot tests: one app factory."""

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, TextArea

from assistant.compose import Environment
from assistant.core.records import Memory
from assistant.embedder import Embedder
from assistant.llm.fake import ScriptedBackend
from assistant.tui.app import AssistantApp, make_app
from assistant.tui.memory_browser import MemoryBrowser


def scripted_app(env: Environment, backend: ScriptedBackend, embedder: Embedder) -> AssistantApp:
    return make_app(env, backend, embedder)


async def settle(pilot: Pilot[None]) -> None:
    """Wait for every worker to finish and their messages to be handled."""
    app = pilot.app
    # A finished turn starts the learning worker from a message handler, so wait
    # until a round of handling starts no new worker.
    for _ in range(10):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            break
    await pilot.pause()


async def hold_still(pilot: Pilot[None]) -> None:
    """Stop every cursor blinking and let every table size its columns, so a snapshot
    never depends on when it was taken."""
    for screen in pilot.app.screen_stack:
        for widget in screen.query(Input):
            widget.cursor_blink = False
        for area in screen.query(TextArea):
            area.cursor_blink = False
    await pilot.pause()
    # A DataTable sizes its columns to new rows only at its next Idle event; on a busy
    # machine a snapshot could come first and show every column cut to its header.
    for _ in range(100):
        if not any(_sizing(table) for s in pilot.app.screen_stack for table in s.query(DataTable)):
            return
        await pilot.pause()
    raise AssertionError("a table never sized its columns")


def _sizing(table: DataTable[object]) -> bool:
    """Whether the table still has rows or cells to measure (Textual keeps no public flag)."""
    return bool(table._require_update_dimensions or table._updated_cells)


async def type_text(pilot: Pilot[None], text: str) -> None:
    """Type into the focused widget one key at a time, as a user would."""
    for char in text:
        await pilot.press("space" if char == " " else char)


async def send(pilot: Pilot[None], text: str) -> None:
    await pilot.click("#prompt")
    await type_text(pilot, text)
    await pilot.press("enter")
    await settle(pilot)


def notices(app: AssistantApp) -> list[str]:
    """Every notification shown so far (still on screen), as "title: message"."""
    return [f"{n.title}: {n.message}" for n in app._notifications]  # type: ignore[attr-defined]


def listed(browser: MemoryBrowser) -> list[str]:
    """The texts in the memory browser's table, top to bottom."""
    table = browser.query_one(DataTable)
    assert table.row_count == len(browser.memories)
    return [m.text for m in browser.memories]


async def open_browser(pilot: Pilot[None]) -> MemoryBrowser:
    """Open the memory browser (f4) and wait for its list."""
    await pilot.press("f4")
    await settle(pilot)
    browser = pilot.app.screen
    assert isinstance(browser, MemoryBrowser)
    return browser


async def highlight(pilot: Pilot[None], browser: MemoryBrowser, text: str) -> Memory:
    """Move the table's cursor onto the memory with this text, by key presses."""
    target = listed(browser).index(text)
    table = browser.query_one(DataTable)
    while table.cursor_row != target:
        await pilot.press("down" if table.cursor_row < target else "up")
    await settle(pilot)
    memory = browser.highlighted
    assert memory is not None and memory.text == text
    return memory
