"""How the TUI looks, at a fixed size, on the scripted backend (`make snapshots` updates)."""

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from assistant.compose import Environment, load_environment
from assistant.embedding import Embedder
from assistant.llm.fake import ScriptedBackend
from tests.tui_helpers import hold_still, scripted_app, send, settle

SIZE = (100, 30)


@pytest.fixture
def env(home: Path) -> Environment:
    """Learning off: recalled notes would make the status line depend on worker timing."""
    return load_environment(learning="off")


REPLY = (
    "Sure. Here is a function:\n\n```python\ndef add(a, b):\n    return a + b\n```\n\n"
    "Use it **wisely**."
)


def test_ready_screen(
    snap_compare: Any, env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    async def ready(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await hold_still(pilot)

    assert snap_compare(scripted_app(env, fake, embedder), terminal_size=SIZE, run_before=ready)


def test_streamed_markdown_reply(
    snap_compare: Any, env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    fake.enqueue(REPLY)

    async def chat(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await send(pilot, "write add")
        await hold_still(pilot)

    assert snap_compare(scripted_app(env, fake, embedder), terminal_size=SIZE, run_before=chat)


def test_conversation_list(
    snap_compare: Any, env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    async def listing(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await send(pilot, "first topic")
        await pilot.press("ctrl+n")
        await send(pilot, "second topic")
        await pilot.press("ctrl+o")
        await settle(pilot)
        await hold_still(pilot)

    assert snap_compare(scripted_app(env, fake, embedder), terminal_size=SIZE, run_before=listing)
