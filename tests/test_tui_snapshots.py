"""How the TUI looks, at a fixed size, on the scripted backend (`make snapshots` updates)."""

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from assistant.compose import Environment, load_environment
from assistant.core import Assistant
from assistant.core.records import MemoryKind, MemorySnapshot, MemoryStatus
from assistant.embedder import Embedder
from assistant.llm.fake import ScriptedBackend
from tests.tui_helpers import hold_still, scripted_app, send, settle

SIZE = (100, 30)


@pytest.fixture
def env(home: Path) -> Environment:
    """Learning off: recalled notes would make the status line depend on worker timing."""
    return load_environment(learning="off")


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is UTC, so dates shown in local time read the same on every machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


HISTORY = [
    ("dinner", "m1", "user", "I am vegetarian, so no meat in the recipes please.", "05-03T12:00"),
    ("dinner", "m2", "assistant", "Noted: vegetarian recipes only.", "05-03T12:01"),
    ("move", "m3", "user", "I live in Berlin since the spring.", "05-04T09:30"),
    ("move", "m4", "assistant", "Welcome to Berlin!", "05-04T09:31"),
]
# text, kind, status, day of May 2024, source message, times used
MEMORIES: list[tuple[str, MemoryKind, MemoryStatus, int, str, int]] = [
    ("The user is vegetarian.", "fact", "active", 3, "m1", 4),
    ("The user lives in Hamburg.", "fact", "superseded", 2, "", 1),
    ("The user lives in Berlin.", "fact", "active", 4, "m3", 2),
    ("The user prefers metric units.", "preference", "active", 5, "", 0),
    ("Keep answers short.", "rule", "proposed", 6, "", 0),
]


def seed_memories(assistant: Assistant, tmp_path: Path) -> None:
    """Two imported conversations and five memories, all with fixed dates.

    Memories are stored through the real core, then written back with fixed times
    through `undo_forget` (which writes a snapshot back exactly), so the listing does
    not depend on today's date.
    """
    lines = [
        {"conversation_id": c, "id": i, "role": r, "content": t, "created_at": f"2024-{at}:00"}
        for c, i, r, t, at in HISTORY
    ]
    history = tmp_path / "history.jsonl"
    history.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    assistant.import_history(history)
    for text, kind, status, day, source, uses in MEMORIES:
        at = datetime(2024, 5, day, 12, 0, tzinfo=UTC)
        memory = assistant.remember(text, kind)
        [snapshot] = assistant.forget_memories([memory.id])
        fixed = replace(
            snapshot.memory,
            status=status,
            created_at=at,
            updated_at=at,
            source_ids=(source,) if source else (),
            use_count=uses,
            last_used_at=at if uses else None,
        )
        reason = "extracted from the user's message" if source else "typed in by the user"
        events = tuple(replace(e, at=at, reason=reason) for e in snapshot.events)
        assistant.undo_forget([MemorySnapshot(fixed, snapshot.vector, events)])


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


def test_welcome_with_what_was_learned(
    snap_compare: Any, home: Path, fake: ScriptedBackend, embedder: Embedder, tmp_path: Path
) -> None:
    """An empty chat greets with the model, the counts of what was learned, the keys."""
    app = scripted_app(load_environment(learning="memory"), fake, embedder)
    seed_memories(app.assistant, tmp_path)

    async def ready(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await hold_still(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


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


@pytest.mark.usefixtures("utc")
def test_memory_browser(
    snap_compare: Any,
    env: Environment,
    fake: ScriptedBackend,
    embedder: Embedder,
    tmp_path: Path,
) -> None:
    app = scripted_app(env, fake, embedder)
    seed_memories(app.assistant, tmp_path)

    async def browse(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("down", "down")  # newest first: the Berlin one, with a source
        await settle(pilot)
        await hold_still(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=browse)


@pytest.mark.usefixtures("utc")
def test_memory_browser_filtered_with_marks(
    snap_compare: Any,
    env: Environment,
    fake: ScriptedBackend,
    embedder: Embedder,
    tmp_path: Path,
) -> None:
    app = scripted_app(env, fake, embedder)
    seed_memories(app.assistant, tmp_path)

    async def filtered(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        app.screen.query_one("#memory-kind").value = "fact"  # type: ignore[attr-defined]
        await settle(pilot)
        await pilot.press("space")
        await settle(pilot)
        await hold_still(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=filtered)


@pytest.mark.usefixtures("utc")
def test_delete_conversation_prompt(
    snap_compare: Any,
    env: Environment,
    fake: ScriptedBackend,
    embedder: Embedder,
    tmp_path: Path,
) -> None:
    app = scripted_app(env, fake, embedder)
    seed_memories(app.assistant, tmp_path)

    async def asking(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await hold_still(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=asking)


def test_reasoning_shown_apart(
    snap_compare: Any, env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    """Two replies with thinking: the first collapsed, then f3 shows both expanded."""
    fake.enqueue(
        "<think>The user says hi. A short greeting fits.</think>\nHello!",
        "<think>Second thought.</think>\nAgain!",
    )

    async def chat(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await send(pilot, "hi")
        await send(pilot, "and again")
        await pilot.press("f3")
        await settle(pilot)
        pilot.app.clear_notifications()  # the toggle's notice would time out mid-snapshot
        await hold_still(pilot)

    assert snap_compare(scripted_app(env, fake, embedder), terminal_size=SIZE, run_before=chat)


def test_model_picker(
    snap_compare: Any, env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    env.paths.models.mkdir(parents=True, exist_ok=True)
    (env.paths.models / "qwen3-0.6b-q8_0.gguf").write_bytes(b"GGUF")
    app = scripted_app(env, fake, embedder)

    async def picking(pilot: Pilot[None]) -> None:
        await settle(pilot)
        app.action_switch_model()
        await settle(pilot)
        await hold_still(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=picking)
