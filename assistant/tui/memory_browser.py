"""The memory browser: review, search, correct and forget what the assistant learned.

Every memory sits in one table (rules and corrections too), filtered by kind and
status and searched by words or by meaning. Beside it, the highlighted memory's
provenance: the messages it came from, in which conversation, and its history.

Core calls run in thread workers, one at a time, and post past-tense messages back,
so a long list or the first semantic search (it loads the embedder) never freezes the
screen. Deletes are real; the screen keeps the snapshots each delete returned, and
undo writes the latest batch back for as long as the screen is open.
"""

import logging
import threading
from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message as UIMessage
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, Label, Select, Static

from assistant.core.records import (
    MEMORY_KINDS,
    Memory,
    MemoryKind,
    MemorySnapshot,
    MemoryStatus,
)
from assistant.core.service import ALL_MEMORY_STATUSES, Assistant
from assistant.tui.events import ActionFailed, post_core_result
from assistant.tui.memory_parts import (
    MARK,
    TEXT_CHARS,
    MemoriesChanged,
    MemoriesForgotten,
    MemoriesLoaded,
    MemoryEditPrompt,
    Provenance,
    ProvenanceLoaded,
    Source,
    memory_cells,
    provenance_text,
    reset_columns,
)
from assistant.tui.text import excerpt, notify_leftovers, plural

# Tests and the app name these parts through this module too.
__all__ = [
    "MemoriesChanged",
    "MemoriesLoaded",
    "MemoryBrowser",
    "MemoryEditPrompt",
]
log = logging.getLogger(__name__)

ANY = "any"
KIND_OPTIONS = [("All kinds", ANY), *((kind, kind) for kind in MEMORY_KINDS)]
STATUS_OPTIONS = [("All statuses", ANY), *((status, status) for status in ALL_MEMORY_STATUSES)]
# Select values are plain strings; these give them back their literal types.
KINDS: dict[str, MemoryKind] = {kind: kind for kind in MEMORY_KINDS}
STATUSES: dict[str, MemoryStatus] = {status: status for status in ALL_MEMORY_STATUSES}


class MemoryBrowser(ModalScreen[str | None]):
    """Every memory, its provenance and history; dismisses with a conversation to open.

    Letter keys act on the table (the search box keeps letters for typing): space
    marks, d deletes the marked rows (else the highlighted one), u undoes a delete.
    """

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("slash", "search", "Search"),
        Binding("f3", "toggle_semantic", "Words/meaning"),
        Binding("space", "mark", "Mark"),
        Binding("d", "delete", "Delete"),
        Binding("delete", "delete", "Delete", show=False),
        Binding("u", "undo", "Undo"),
        Binding("ctrl+z", "undo", "Undo", show=False),
        Binding("e", "edit", "Edit"),
        Binding("r", "restore", "Restore"),
        Binding("k", "keep_rule", "Keep rule"),
        Binding("x", "discard_rule", "Discard rule"),
        Binding("o", "open_source", "Open conversation"),
        Binding("down", "focus_table", show=False),
    ]

    def __init__(self, assistant: Assistant) -> None:
        super().__init__()
        self.assistant = assistant
        self.semantic = False
        self.memories: list[Memory] = []
        self.marked: set[str] = set()
        self.undo_stack: list[list[MemorySnapshot]] = []
        self.provenance: Provenance | None = None
        self._provenance_for: Memory | None = None
        self._generation = 0
        self._busy_note = ""
        self._note = ""
        self._lock = threading.Lock()

    # -- layout --------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="memory-browser"):
            yield Label("Memories (esc closes)", classes="dialog-title")
            with Horizontal(id="memory-filters"):
                yield Input(placeholder="Search memories… (/)", id="memory-search")
                yield Label(self._mode_label(), id="memory-mode")
                yield Select(KIND_OPTIONS, value=ANY, allow_blank=False, id="memory-kind")
                yield Select(STATUS_OPTIONS, value=ANY, allow_blank=False, id="memory-status")
            yield DataTable(id="memory-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="memory-details"):
                yield Static("", id="memory-provenance", markup=False)
            yield Label("Loading…", id="memory-status-line", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        reset_columns(self.table, [])
        self.table.focus()
        self.reload()

    @property
    def table(self) -> DataTable[str | Text]:
        return self.query_one("#memory-table", DataTable)

    @property
    def highlighted(self) -> Memory | None:
        """The memory under the table's cursor, if any."""
        table = self.table
        if not self.memories or not 0 <= table.cursor_row < len(self.memories):
            return None
        return self.memories[table.cursor_row]

    def _mode_label(self) -> str:
        return "by meaning (f3)" if self.semantic else "by words (f3)"

    def _show_status(self) -> None:
        if self._busy_note:
            line = self._busy_note
        else:
            line = plural(len(self.memories))
            if self.marked:
                line += f" · {len(self.marked)} marked"
        if self._note:
            line += f" · {self._note}"
        self.query_one("#memory-status-line", Label).update(line)

    def _say(self, note: str) -> None:
        """Put what just happened on the status line."""
        self._note = note
        self._show_status()
        self.refresh_bindings()  # undo may have become possible, or impossible

    # -- loading -------------------------------------------------------------

    def _filters(self) -> tuple[str, MemoryKind | None, tuple[MemoryStatus, ...]]:
        query = self.query_one("#memory-search", Input).value.strip()
        kind = str(self.query_one("#memory-kind", Select).value)
        status = STATUSES.get(str(self.query_one("#memory-status", Select).value))
        return query, KINDS.get(kind), (status,) if status else ALL_MEMORY_STATUSES

    def reload(self) -> None:
        """List (or search) again with the current filters, in a worker."""
        query, kind, statuses = self._filters()
        semantic = self.semantic and bool(query)
        self._generation += 1
        generation = self._generation
        self._busy_note = "Searching…" if query else "Loading…"
        self._show_status()

        def load() -> UIMessage:
            if query:
                found = self.assistant.search_memories(query, semantic, statuses)
                found = [m for m in found if kind is None or m.kind == kind]
            else:
                found = self.assistant.memories(statuses, kind)
                found.sort(key=lambda m: m.created_at, reverse=True)  # newest first
            return MemoriesLoaded(generation, found)

        self._in_thread(load, "memory-list", exclusive=True)

    def _in_thread(self, call: Callable[[], UIMessage], group: str, exclusive: bool) -> None:
        self.run_worker(
            lambda: self._call_core(call), thread=True, group=group, exclusive=exclusive
        )

    def _call_core(self, call: Callable[[], UIMessage]) -> None:
        """Run a core call off the UI thread; it returns the message to post.

        One at a time: a load never reads half a delete."""
        post_core_result(self.post_message, self._lock, call, "memory browser call")

    @on(MemoriesLoaded)
    def _listed(self, event: MemoriesLoaded) -> None:
        if event.generation != self._generation:
            return  # a newer listing or search is on its way
        table = self.table
        current = self.highlighted
        index = table.cursor_row
        self.memories = event.memories
        ids = {m.id for m in self.memories}
        self.marked &= ids
        rows = [memory_cells(m, m.id in self.marked) for m in self.memories]
        reset_columns(self.table, rows)
        for memory, cells in zip(self.memories, rows, strict=True):
            table.add_row(*cells, key=memory.id)
        self._busy_note = ""
        self._show_status()
        if not self.memories:
            self.provenance = self._provenance_for = None
            self.query_one("#memory-provenance", Static).update("No memories match.")
            self.refresh_bindings()
            return
        if current is not None and current.id in ids:
            index = table.get_row_index(current.id)
        table.move_cursor(row=min(max(index, 0), len(self.memories) - 1), animate=False)
        self._load_provenance()

    @on(DataTable.RowHighlighted, "#memory-table")
    def _highlighted(self) -> None:
        self._load_provenance()

    def _load_provenance(self) -> None:
        memory = self.highlighted
        if memory is None or memory == self._provenance_for:
            return
        self._provenance_for = memory
        self.refresh_bindings()

        def load() -> UIMessage:
            sources = tuple(
                Source(m, self.assistant.conversation(m.conversation_id).title)
                for m in self.assistant.memory_sources(memory)
            )
            events = tuple(self.assistant.memory_history(memory.id))
            return ProvenanceLoaded(Provenance(memory, sources, events))

        self._in_thread(load, "memory-provenance", exclusive=True)

    @on(ProvenanceLoaded)
    def _provenance_loaded(self, event: ProvenanceLoaded) -> None:
        if event.provenance.memory != self.highlighted:
            return  # the cursor moved on
        self.provenance = event.provenance
        self.query_one("#memory-provenance", Static).update(provenance_text(event.provenance))

    # -- filters -------------------------------------------------------------

    @on(Input.Changed, "#memory-search")
    @on(Select.Changed)
    def _filter(self) -> None:
        self.reload()

    @on(Input.Submitted, "#memory-search")
    def _searched(self) -> None:
        self.table.focus()

    def action_focus_table(self) -> None:
        self.table.focus()

    def action_search(self) -> None:
        self.query_one("#memory-search", Input).focus()

    def action_toggle_semantic(self) -> None:
        self.semantic = not self.semantic
        self.query_one("#memory-mode", Label).update(self._mode_label())
        if self.query_one("#memory-search", Input).value.strip():
            self.reload()

    # -- changes -------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Restore and the rule decisions show only where they apply.
        memory = self.highlighted
        if action == "restore":
            return memory is not None and memory.status == "superseded"
        if action in ("keep_rule", "discard_rule"):
            return memory is not None and memory.kind == "rule" and memory.status == "proposed"
        if action == "undo":
            return bool(self.undo_stack) or None
        return True

    def action_mark(self) -> None:
        memory = self.highlighted
        if memory is None:
            return
        self.marked ^= {memory.id}
        self.table.update_cell(memory.id, "mark", MARK if memory.id in self.marked else "")
        self.table.action_cursor_down()
        self._show_status()

    def action_delete(self) -> None:
        marked = [m.id for m in self.memories if m.id in self.marked]
        memory = self.highlighted
        ids = marked or ([memory.id] if memory is not None else [])
        if ids:
            self._in_thread(
                lambda: MemoriesForgotten(self.assistant.erase_memories(ids)),
                "memory-change",
                exclusive=False,
            )

    @on(MemoriesForgotten)
    def _forgotten(self, event: MemoriesForgotten) -> None:
        self.undo_stack.append(event.snapshots)
        self.marked -= {s.memory.id for s in event.snapshots}
        self._say(f"Deleted {plural(len(event.snapshots))} — u to undo")
        notify_leftovers(self, event.leftovers)
        self.reload()

    def action_undo(self) -> None:
        if not self.undo_stack:
            self._say("Nothing to undo")
            return
        batch = self.undo_stack.pop()

        def write_back() -> UIMessage:
            try:
                self.assistant.undo_forget(batch)
            except Exception:
                self.app.call_from_thread(self.undo_stack.append, batch)
                raise
            left = f" ({len(self.undo_stack)} more to undo)" if self.undo_stack else ""
            return MemoriesChanged(f"Restored {plural(len(batch))}{left}")

        self._in_thread(write_back, "memory-change", exclusive=False)

    def action_edit(self) -> None:
        memory = self.highlighted
        if memory is None:
            return

        def edited(text: str | None) -> None:
            if text is not None:
                self._change(lambda: self.assistant.edit_memory(memory.id, text), "Edited")

        self.app.push_screen(MemoryEditPrompt(memory), edited)

    def action_restore(self) -> None:
        memory = self.highlighted
        if memory is not None:
            self._change(lambda: self.assistant.restore_memory(memory.id), "Restored")

    def action_keep_rule(self) -> None:
        memory = self.highlighted
        if memory is not None:
            self._change(lambda: self.assistant.keep_rule(memory.id), "Kept rule")

    def action_discard_rule(self) -> None:
        memory = self.highlighted
        if memory is not None:
            self._change(lambda: self.assistant.discard_rule(memory.id), "Discarded rule")

    def _change(self, call: Callable[[], Memory], verb: str) -> None:
        def run() -> UIMessage:
            memory = call()
            return MemoriesChanged(f"{verb}: {excerpt(memory.text, TEXT_CHARS)}")

        self._in_thread(run, "memory-change", exclusive=False)

    @on(MemoriesChanged)
    def _changed(self, event: MemoriesChanged) -> None:
        self._provenance_for = None  # the history (at least) changed
        self._say(event.note)
        self.reload()

    @on(ActionFailed)
    def _failed(self, event: ActionFailed) -> None:
        # The app shows the error (the message bubbles on); the status line moves on.
        self._busy_note = ""
        self._say(f"Failed: {event.message_text}")

    # -- leaving -------------------------------------------------------------

    def action_open_source(self) -> None:
        provenance = self.provenance
        if provenance is None or provenance.memory != self.highlighted:
            self._say("The sources are still loading")
            return
        if provenance.conversation_id is None:
            self._say("No stored conversation to open for this memory")
            return
        self.dismiss(provenance.conversation_id)

    def action_close(self) -> None:
        self.dismiss(None)
