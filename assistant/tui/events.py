"""Messages that workers post to the app, named in the past tense for what happened."""

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from textual.message import Message

from assistant.core.errors import AssistantError
from assistant.core.records import Memory, SignalKind
from assistant.core.service import FeedbackResult, TurnEvent
from assistant.tui.welcome import Learned


class LoadProgressed(Message):
    """A line of loading progress (model assembly, model load, embedder)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class ModelReady(Message):
    """The model finished loading."""


class LearnedCounted(Message):
    """What the store holds, counted for the welcome."""

    def __init__(self, learned: Learned) -> None:
        super().__init__()
        self.learned = learned


class HistoryLoaded(Message):
    """The user's messages from earlier conversations, oldest first (prompt history)."""

    def __init__(self, texts: list[str]) -> None:
        super().__init__()
        self.texts = texts


class ModelSwitched(Message):
    """Another model now answers (picked from the palette)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


class ModelSwitchFailed(Message):
    """The picked model did not load; the one before still answers."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__()
        self.message_text = message
        self.hint = hint


class LoadFailed(Message):
    """Loading failed; the app stays open to show why."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__()
        self.message_text = message
        self.hint = hint


class TurnProgressed(Message):
    """One event of a turn, posted as the core yields it (`assistant.core.TurnEvent`):
    the event keeps its one name from the core to the screen. Reply and reasoning
    deltas arrive batched, a few a second, each batch as one delta."""

    def __init__(self, event: TurnEvent) -> None:
        super().__init__()
        self.event = event


class DatasetExported(Message):
    """A periodic dataset export was written."""

    def __init__(self, path: Path, counts: dict[str, int]) -> None:
        super().__init__()
        self.path = path
        self.counts = counts


class MemoryLearned(Message):
    """Learning after a turn stored or superseded memories."""

    def __init__(self, memories: list[Memory]) -> None:
        super().__init__()
        self.memories = memories


class TurnFailed(Message):
    """A turn raised an error before or during the reply."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__()
        self.message_text = message
        self.hint = hint


class FeedbackRecorded(Message):
    """A thumbs up or down was stored; it may have proposed rules."""

    def __init__(self, verdict: SignalKind, result: FeedbackResult) -> None:
        super().__init__()
        self.verdict = verdict
        self.result = result


class CorrectionRecorded(Message):
    """A correction of a reply was remembered."""

    def __init__(self, result: FeedbackResult) -> None:
        super().__init__()
        self.result = result


class RuleDecided(Message):
    """A proposed rule was kept (perhaps reworded) or discarded."""

    def __init__(self, rule: Memory) -> None:
        super().__init__()
        self.rule = rule


class ReportLoaded(Message):
    """The learning report was computed."""

    def __init__(self, report: dict[str, Any]) -> None:
        super().__init__()
        self.report = report


class ActionFailed(Message):
    """A core call made for a key press or command raised an error."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__()
        self.message_text = message
        self.hint = hint


def post_core_result(
    post: Callable[[Message], object],
    lock: AbstractContextManager[object],
    call: Callable[[], Message],
    what: str,
) -> None:
    """Run a core call (in a worker thread) under `lock` and post the message it
    returns, or an ActionFailed with its message and hint; never a traceback."""
    try:
        with lock:
            message = call()
    except AssistantError as exc:
        post(ActionFailed(exc.message, exc.hint))
        return
    except Exception as exc:
        logging.getLogger(__name__).exception("%s failed", what)
        post(ActionFailed(f"unexpected error: {exc}", "see the log file"))
        return
    post(message)
