"""The Documents screen and the background sync on start, with Pilot.

The scripted backend stands in for the model; the store is a real LanceDB in a tmp
home and the embedder is the real one, so what the screen removes is gone from disk.
"""

import os
from pathlib import Path

import pytest
from textual.widgets import DataTable, Label, Static

from assistant.compose import Environment
from assistant.embedder import Embedder
from assistant.llm.fake import ScriptedBackend
from assistant.tui.documents import DocumentsScreen, RemoveDocumentPrompt
from tests.doc_fixtures import write_notes
from tests.erasure import files_containing
from tests.tui_helpers import scripted_app, send, settle


def rows(screen: DocumentsScreen, table_id: str) -> list[list[str]]:
    table: DataTable[str] = screen.query_one(table_id, DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


@pytest.mark.real
async def test_start_syncs_and_the_screen_shows_removes_and_cites(
    tmp_path: Path, env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    notes = write_notes(tmp_path / "notes")
    app = scripted_app(env, fake, embedder)
    app.assistant.documents().add([tmp_path / "notes"])
    # Changed while the app was closed: the sync on start picks it up.
    notes["garden"].write_text("# Tomato garden\n\n## Routine\n\nWater the PEPPERS-99 daily.\n")
    os.utime(notes["garden"], ns=(1, 1))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert any(
            "1 updated" in str(n.message) and n.title == "Documents synced"
            for n in app._notifications
        )
        # A reply cites a note: the screen opens on that file, showing its chunks.
        fake.enqueue("Water them daily, see [notes/garden.md#Routine].")
        await send(pilot, "How often do I water the peppers?")
        await pilot.press("f12")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DocumentsScreen)
        [root] = rows(screen, "#doc-roots")
        assert root[:3] == [str(tmp_path / "notes"), "10", "20"]
        assert root[3] != "never"  # the sync on start stamped it
        files = rows(screen, "#doc-files")
        assert [f[0] for f in files] == sorted(f"{name}.md" for name in notes)
        assert screen.highlighted_file is not None
        assert screen.highlighted_file.path == str(notes["garden"])
        assert screen.files_table.has_focus
        shown = str(screen.query_one("#doc-chunk-text", Static).render())
        assert "[notes/garden.md#Routine]" in shown and "PEPPERS-99" in shown
        # Moving the cursor shows another file's chunks.
        await pilot.press("up")
        await settle(pilot)
        shown = str(screen.query_one("#doc-chunk-text", Static).render())
        assert "[notes/cat.md#Routine]" in shown and "PEPPERS-99" not in shown
        await pilot.press("down")
        await settle(pilot)
        # Remove it: a confirmation first (Cancel focused), then a real erase.
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, RemoveDocumentPrompt)
        await pilot.click("#remove")
        await settle(pilot)
        assert app.screen is screen
        assert "garden.md" not in [f[0] for f in rows(screen, "#doc-files")]
        assert rows(screen, "#doc-roots")[0][1:3] == ["9", "18"]
        assert "9 files" in str(screen.query_one("#doc-status", Label).render())
    assert files_containing([env.paths.store], b"PEPPERS-99") == []
