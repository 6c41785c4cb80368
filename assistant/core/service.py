"""The Assistant service: the one entry point the TUI, the CLI and the tests use.

It owns a turn end to end: record the user's message, fit the conversation into the
context window, stream the reply from the backend, record the reply; and everything
the user does with what was learned. It is plain synchronous Python; shells run it
in their own threads. Nothing here imports Textual, llama.cpp or LanceDB.

The service is split by job, each a mixin over AssistantBase (base.py): turns.py
(with feedback.py under it), memories.py (with portability.py), insight.py.
"""

import logging

from assistant.core.base import (
    ALL_MEMORY_STATUSES,
    LLM_EXTRACTION_TOKENS,
    MAX_INPUT_CHARS,
    BackendLoader,
    EmbedderLoader,
    clean_input,
)
from assistant.core.errors import AssistantError
from assistant.core.events import (
    CorrectionOffer,
    FeedbackResult,
    ImportSummary,
    ReasoningDelta,
    ReplyDelta,
    ReplyEnded,
    ReplyRestarted,
    TurnEvent,
    TurnFinished,
    TurnStarted,
)
from assistant.core.insight import Insight
from assistant.core.portability import Portability
from assistant.core.ports.copies import AfterTurn, ExportResult
from assistant.core.turns import Turns, _context_record, reasoning_of

__all__ = [
    "ALL_MEMORY_STATUSES",
    "LLM_EXTRACTION_TOKENS",
    "MAX_INPUT_CHARS",
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
    "_context_record",
    "clean_input",
    "reasoning_of",
]

log = logging.getLogger(__name__)


class Assistant(Turns, Portability, Insight):
    """Chat turns over one backend and one store, and what is learned from them.

    The work after a turn is here, where the jobs meet: learning (turns) and the
    periodic dataset export (insight, through the Copies port).
    """

    def after_turn(self, turn: TurnFinished) -> AfterTurn:
        """The work after a turn, for every shell: learn from it, then (at level full)
        the periodic dataset export when one is due. Learning errors are raised; a
        failed export is logged, since the chat itself succeeded."""
        learned = self.learn(turn)
        return AfterTurn(learned, self.export_if_due() if turn.learning == "full" else None)

    def export_if_due(self) -> ExportResult | None:
        """The periodic dataset export (configured level full), when one is due; a
        failure is logged, not raised: the export can wait for the next turn."""
        if self.copies is None:
            return None
        try:
            return self.copies.export_if_due(self)
        except AssistantError as exc:
            log.warning("periodic export failed: %s", exc.message)
            return None
