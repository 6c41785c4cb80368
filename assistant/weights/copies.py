"""The Copies port over the data dir: the export ledger, adapters and dataset exports.

The core asks it which of the user's copies still hold a deleted text and runs the
periodic export after a turn (assistant/core/ports/copies.py); here those questions meet the
files: `exports.json` (assistant/weights/ledger.py), the adapters folder
(assistant/weights/adapters.py) and the dataset exporter (assistant/weights/dataset_export.py).
"""

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.core.ports.copies import ExportResult, Leftovers
from assistant.weights.ledger import (
    exports_containing,
    record_export,
    remove_exports,
    written_exports,
)

if TYPE_CHECKING:
    from assistant.core.service import Assistant
    from assistant.system.environment import Environment


class UserCopies:
    """The user's exports and adapters in one environment's data dir."""

    def __init__(self, env: "Environment") -> None:
        self.env = env

    def holding(self, texts: Sequence[str], message_ids: Sequence[str]) -> Leftovers:
        from assistant.weights.adapters import trained_on

        exports = exports_containing(self.env.paths, texts)
        adapters = trained_on(self.env.paths, message_ids)
        return Leftovers(tuple(exports), tuple(a.name for a in adapters))

    def everything(self) -> Leftovers:
        from assistant.weights.adapters import list_adapters

        adapters = list_adapters(self.env.paths)
        return Leftovers(tuple(written_exports(self.env.paths)), tuple(a.name for a in adapters))

    def remove_exports(self, exports: Sequence[Path]) -> list[Path]:
        return remove_exports(self.env.paths, exports)

    def record_export(self, path: Path) -> None:
        record_export(self.env.paths, path)

    def export_if_due(self, assistant: "Assistant") -> ExportResult | None:
        from assistant.weights.dataset_export import maybe_export

        return maybe_export(self.env, assistant)
