"""The learning core: the Assistant service, its records, ports and pure formats.

It imports no UI, no model runtime and no database driver (the layer contract in
pyproject.toml checks it). `from assistant.core import Assistant, TurnFinished, …`
keeps working: the service's names are loaded on first use, so importing a small
part of the core (records, errors) stays cheap.
"""

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.core.service import (
        ALL_MEMORY_STATUSES,
        Assistant,
        BackendLoader,
        CorrectionOffer,
        EmbedderLoader,
        FeedbackResult,
        ImportSummary,
        ReasoningDelta,
        ReplyDelta,
        ReplyEnded,
        ReplyRestarted,
        TurnEvent,
        TurnFinished,
        TurnStarted,
        clean_input,
        reasoning_of,
    )

__all__ = [
    "ALL_MEMORY_STATUSES",
    "Assistant",
    "BackendLoader",
    "CorrectionOffer",
    "EmbedderLoader",
    "FeedbackResult",
    "ImportSummary",
    "ReasoningDelta",
    "ReplyDelta",
    "ReplyEnded",
    "ReplyRestarted",
    "TurnEvent",
    "TurnFinished",
    "TurnStarted",
    "clean_input",
    "reasoning_of",
]


def __getattr__(name: str) -> object:
    return getattr(import_module("assistant.core.service"), name)
