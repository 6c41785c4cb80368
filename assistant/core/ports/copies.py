"""The user's copies outside the store, as the core sees them: a port and its reports.

A delete reaches every row and old version in the store, but not the dataset and
memory exports the user wrote, nor LoRA adapters trained on the deleted messages:
those are the user's copies, named to them rather than removed silently. The core
asks this port which copies still hold a deleted text and runs the periodic dataset
export after a turn; the weights package implements it over the data dir
(assistant/weights/copies.py), so both shells say the same after a delete.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from assistant.core.records import Memory, MemorySnapshot

if TYPE_CHECKING:
    from assistant.core.service import Assistant


@dataclass(frozen=True)
class ExportResult:
    """Where a dataset export went and how many rows of each kind it holds."""

    path: Path
    counts: dict[str, int]


@dataclass(frozen=True)
class Leftovers:
    """The user's own copies that still hold deleted text."""

    exports: tuple[Path, ...] = ()
    adapters: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.exports or self.adapters)

    def export_lines(self) -> list[str]:
        """The exports, as both shells name them."""
        if not self.exports:
            return []
        return ["these exports you wrote still contain it:", *(f"  {p}" for p in self.exports)]

    def adapter_lines(self) -> list[str]:
        """The adapters, as both shells name them."""
        if not self.adapters:
            return []
        return [
            "these LoRA adapters were trained on it and may remember it:",
            *(f"  {name}" for name in self.adapters),
        ]


@dataclass(frozen=True)
class Erased:
    """What a delete removed from the store, and which of the user's copies still hold it.

    `snapshots` (memory deletes only) can write the memories back (`undo_forget`).
    """

    memories: tuple[Memory, ...]
    leftovers: Leftovers
    snapshots: tuple[MemorySnapshot, ...] = ()


@dataclass(frozen=True)
class AfterTurn:
    """What the work after a turn did: the memories learned, and any dataset exported."""

    learned: list[Memory]
    exported: ExportResult | None = None


class Copies(Protocol):
    """Exports and adapters in the user's data dir."""

    def holding(self, texts: Sequence[str], message_ids: Sequence[str]) -> Leftovers:
        """The exports holding any of `texts`; the adapters trained on `message_ids`."""
        ...

    def everything(self) -> Leftovers:
        """Every export written and every adapter trained."""
        ...

    def remove_exports(self, exports: Sequence[Path]) -> list[Path]:
        """Delete exports from disk and from the ledger; returns what was removed."""
        ...

    def record_export(self, path: Path) -> None:
        """Note an export the user asked for, so that a later delete can name it."""
        ...

    def export_if_due(self, assistant: "Assistant") -> ExportResult | None:
        """The periodic dataset export, when it is due (at learning level full)."""
        ...
