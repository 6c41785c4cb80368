"""The feedback half of the app: thumbs, corrections, learned rules, the report.

`AssistantApp` builds on this class, which owns the key actions for feedback and the
worker that makes their core calls (they may embed text: tens of milliseconds, more for
the report). Calls run one at a time, so three quick thumbs-down propose one rule, not
three; each returns the past-tense message that the worker posts.
"""

import logging
import threading
from collections.abc import Callable

from textual import work
from textual.app import App
from textual.message import Message as UIMessage

from assistant.core.records import Memory
from assistant.core.service import Assistant, CorrectionOffer
from assistant.tui.events import (
    ActionFailed,
    CorrectionRecorded,
    FeedbackRecorded,
    ReportLoaded,
    RuleDecided,
    post_core_result,
)
from assistant.tui.memory_browser import MemoriesChanged, MemoryBrowser
from assistant.tui.prompt import PromptArea
from assistant.tui.report import LearningReport
from assistant.tui.screens import ReasonPrompt, RuleChoice, RulePrompt
from assistant.tui.text import plural
from assistant.tui.widgets import ChatLog, ReplyBubble

log = logging.getLogger(__name__)


class FeedbackApp(App[None]):
    """Feedback on replies, for an app with an Assistant and a `#chat` of bubbles.

    Feedback targets the selected reply (click one), else the latest. A correction
    offered after a turn waits in `offer` until the next turn starts: it is recorded
    only when the user presses its key.
    """

    assistant: Assistant
    busy: bool

    def __init__(self) -> None:
        super().__init__()
        self.offer: CorrectionOffer | None = None
        self._core_lock = threading.Lock()

    @property
    def chat(self) -> ChatLog:
        return self.query_one("#chat", ChatLog)

    def _target_reply(self) -> str | None:
        """The selected reply's id, else the latest's; None, with a notice, if neither."""
        bubbles = list(self.chat.query(ReplyBubble))
        selected = [b for b in bubbles if b.has_class("-selected")]
        if not bubbles:
            self.notify("There is no reply to give feedback on yet.", severity="warning")
            return None
        target = (selected or bubbles)[-1]
        if not target.message_id:
            streaming = self.busy and target is bubbles[-1]
            why = "it is still being written" if streaming else "it was not stored"
            self.notify(f"That reply cannot take feedback: {why}.", severity="warning")
            return None
        return target.message_id

    def action_thumbs_up(self) -> None:
        reply_id = self._target_reply()
        if reply_id is not None:
            self._call_core(lambda: FeedbackRecorded("up", self.assistant.feedback(reply_id, "up")))

    def action_thumbs_down(self) -> None:
        reply_id = self._target_reply()
        if reply_id is None:
            return

        def record(reason: str | None) -> None:
            if reason is not None:  # Esc cancels; Enter on an empty reason still records
                self._call_core(
                    lambda: FeedbackRecorded(
                        "down", self.assistant.feedback(reply_id, "down", reason)
                    )
                )

        self.push_screen(ReasonPrompt(), record)

    def on_feedback_recorded(self, event: FeedbackRecorded) -> None:
        self.notify("👍 recorded" if event.verdict == "up" else "👎 recorded")
        if event.result.proposed:
            self.memories_changed(f"{plural(len(event.result.proposed), 'rule')} proposed")
        self._ask_about_rules(list(event.result.proposed))

    def memories_changed(self, note: str) -> None:
        """Memories changed outside the memory browser (learning, feedback): an open
        browser lists them again at once, instead of only once reopened."""
        for screen in self.screen_stack:
            if isinstance(screen, MemoryBrowser):
                screen.post_message(MemoriesChanged(note))

    def _ask_about_rules(self, rules: list[Memory]) -> None:
        """One prompt per proposed rule, in turn."""
        if not rules:
            return
        rule, rest = rules[0], rules[1:]

        def decided(choice: RuleChoice | None) -> None:
            if choice is None:
                self.notify("The rule stays proposed; decide later with `assistant rules`.")
            elif choice.keep:
                self._call_core(lambda: RuleDecided(self.assistant.keep_rule(rule.id, choice.text)))
            else:
                self._call_core(lambda: RuleDecided(self.assistant.discard_rule(rule.id)))
            self._ask_about_rules(rest)

        self.push_screen(RulePrompt(rule), decided)

    def on_rule_decided(self, event: RuleDecided) -> None:
        title = "Rule kept" if event.rule.status == "active" else "Rule discarded"
        self.notify(event.rule.text, title=title, markup=False)
        self.memories_changed(title)

    def _correct(self, text: str) -> None:
        """`/correct TEXT`: the right answer to the selected (or latest) reply's question."""
        if not text:
            self.notify("Type the right answer after it: /correct TEXT", severity="warning")
            return
        reply_id = self._target_reply()
        if reply_id is None:
            return
        self.query_one("#prompt", PromptArea).value = ""
        self._call_core(lambda: CorrectionRecorded(self.assistant.correct(reply_id, text)))

    def action_accept_offer(self) -> None:
        offer = self.offer
        if offer is None:
            self.notify("There is no correction to remember.", severity="warning")
            return
        self.offer = None
        self._call_core(lambda: CorrectionRecorded(self.assistant.accept_offer(offer)))

    def on_correction_recorded(self, event: CorrectionRecorded) -> None:
        self.notify("Correction remembered")
        self.memories_changed("Correction remembered")

    def action_learning_report(self) -> None:
        self._call_core(lambda: ReportLoaded(self.assistant.learning_report()))

    def on_report_loaded(self, event: ReportLoaded) -> None:
        self.push_screen(LearningReport(event.report))

    @work(thread=True, group="feedback")
    def _call_core(self, call: Callable[[], UIMessage]) -> None:
        """Run a core call off the UI thread; it returns the message to post.

        One at a time: three quick thumbs-down propose one rule."""
        post_core_result(self.post_message, self._core_lock, call, "feedback call")

    def on_action_failed(self, event: ActionFailed) -> None:
        self.notify(
            f"{event.message_text}\n{event.hint}", title="Error", severity="error", markup=False
        )
