"""The memory browser's parts: its table's rows and columns, the provenance pane, the
messages its workers post, and the prompt that rewords a memory."""

from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message as UIMessage
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label

from assistant.core.ports.copies import Erased
from assistant.core.records import (
    Memory,
    MemoryEvent,
    Message,
)
from assistant.tui.text import excerpt, plural, short_date, short_time

EXCERPT_CHARS = 200
TEXT_CHARS = 48
MARK = "●"
# The table's columns as (key, label), in order; `_cells` gives a row in the same order.
COLUMNS = (
    ("mark", " "),
    ("kind", "Kind"),
    ("status", "Status"),
    ("text", "Memory"),
    ("created", "Created"),
    ("updated", "Updated"),
    ("uses", "Uses"),
)


@dataclass(frozen=True)
class Source:
    """A message a memory came from, with its conversation's title."""

    message: Message
    title: str


@dataclass(frozen=True)
class Provenance:
    """Where a memory came from and what happened to it since."""

    memory: Memory
    sources: tuple[Source, ...]
    events: tuple[MemoryEvent, ...]

    @property
    def conversation_id(self) -> str | None:
        """The conversation of the newest source message: the one `o` opens."""
        if not self.sources:
            return None
        return max(self.sources, key=lambda s: s.message.created_at).message.conversation_id


def provenance_text(provenance: Provenance) -> Text:
    """The detail pane: the memory, the messages it came from, and its history."""
    memory = provenance.memory
    text = Text()
    text.append(memory.text, style="bold")
    facts = [memory.kind, memory.status, f"created {short_date(memory.created_at)}"]
    if memory.updated_at != memory.created_at:
        facts.append(f"updated {short_date(memory.updated_at)}")
    facts.append(f"used {plural(memory.use_count, 'time')}")
    if memory.last_used_at is not None:
        facts.append(f"last {short_date(memory.last_used_at)}")
    text.append("\n" + " · ".join(facts), style="dim")
    text.append("\n\nLearned from", style="bold")
    if not provenance.sources:
        text.append("\n  no stored message (typed in, imported, or its chat was deleted)")
    for source in provenance.sources:
        message = source.message
        text.append(f"\n  {message.role} · {short_time(message.created_at)} · ")
        text.append(source.title, style="italic")
        text.append(f"\n    “{excerpt(message.content, EXCERPT_CHARS)}”")
    if provenance.sources:
        text.append("\n  o opens the conversation", style="dim")
    text.append("\n\nHistory", style="bold")
    for event in provenance.events:
        reason = f" — {event.reason}" if event.reason else ""
        text.append(f"\n  {short_time(event.at)}  {event.action}{reason}")
    if not provenance.events:
        text.append("\n  no events recorded")
    return text


class MemoriesLoaded(UIMessage, bubble=False):
    """A listing or search finished; `generation` tells a stale one from the latest."""

    def __init__(self, generation: int, memories: list[Memory]) -> None:
        super().__init__()
        self.generation = generation
        self.memories = memories


class ProvenanceLoaded(UIMessage, bubble=False):
    """The highlighted memory's sources and history were read."""

    def __init__(self, provenance: Provenance) -> None:
        super().__init__()
        self.provenance = provenance


class MemoriesForgotten(UIMessage, bubble=False):
    """Memories were deleted for real; the snapshots can write them back."""

    def __init__(self, erased: Erased) -> None:
        super().__init__()
        self.snapshots = list(erased.snapshots)
        self.leftovers = erased.leftovers


class MemoriesChanged(UIMessage, bubble=False):
    """An edit, restore, keep, discard or undo was stored; `note` says which."""

    def __init__(self, note: str) -> None:
        super().__init__()
        self.note = note


class MemoryEditPrompt(ModalScreen[str | None]):
    """Reword a memory: Enter saves, Esc cancels."""

    BINDINGS = [Binding("escape", "dismiss_none", "Cancel")]

    def __init__(self, memory: Memory) -> None:
        super().__init__()
        self.memory = memory

    def compose(self) -> ComposeResult:
        with Vertical(id="memory-edit-prompt", classes="dialog compact"):
            yield Label(f"Edit this {self.memory.kind}", classes="dialog-title")
            yield Input(self.memory.text, id="memory-edit")
            yield Label("Enter saves, Esc cancels", classes="dialog-hint")

    @on(Input.Submitted, "#memory-edit")
    def _save(self, event: Input.Submitted) -> None:
        text = " ".join(event.value.split())
        self.dismiss(text if text and text != self.memory.text else None)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


def memory_cells(memory: Memory, marked: bool) -> tuple[str | Text, ...]:
    """A memory as a row of the table, in COLUMNS order."""
    return (
        MARK if marked else "",
        memory.kind,
        memory.status,
        Text(excerpt(memory.text, TEXT_CHARS)),
        short_date(memory.created_at),
        short_date(memory.updated_at),
        Text(str(memory.use_count), justify="right"),
    )


def reset_columns(table: DataTable[str | Text], rows: list[tuple[str | Text, ...]]) -> None:
    """Empty the table and give it columns as wide as their widest cell so far, for
    `rows` to be added.

    Left to itself, the table measures new rows only at its next Idle event. A paint
    before that Idle shows rows cut to the old widths ("The us"), and in two
    fresh-clone runs of the snapshot test some rows stayed cut after the columns
    grew, until the cursor passed over them. Widths only grow, as the table's own
    do, so a filter or a search does not make the columns jump.
    """
    old = {key.value: column.width for key, column in table.columns.items()}
    table.clear(columns=True)
    for index, (key, label) in enumerate(COLUMNS):
        cells = (cell_len(str(row[index])) for row in rows)
        table.add_column(label, key=key, width=max([old.get(key, cell_len(label)), *cells]))
