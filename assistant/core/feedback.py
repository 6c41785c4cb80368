"""Feedback on replies: thumbs, corrections, and the rules repeated feedback proposes.
Signals are recorded from learning level `feedback` up."""

from assistant.core.base import ALL_MEMORY_STATUSES, AssistantBase, clean_input
from assistant.core.errors import InputError, NotFoundError
from assistant.core.events import CorrectionOffer, FeedbackResult
from assistant.core.learning.echo import injected_texts, recallable
from assistant.core.learning.rules import proposals
from assistant.core.records import (
    FEEDBACK_LEVELS,
    LearningLevel,
    Memory,
    Message,
    Signal,
    SignalKind,
    new_id,
    utc_now,
)
from assistant.core.reply_context import ReplyContext


class Feedback(AssistantBase):
    """Signals on replies, corrections and rules."""

    def _signal(
        self,
        level: LearningLevel,
        kind: SignalKind,
        reply: Message,
        *,
        reason: str = "",
        text: str = "",
        memory_id: str = "",
    ) -> Signal | None:
        """Record a signal on a reply (nothing below learning level `feedback`)."""
        if level not in FEEDBACK_LEVELS:
            return None
        question = self._question_for(reply)
        signal = Signal(
            new_id(),
            kind,
            reply.id,
            reply.conversation_id,
            utc_now(),
            question.id if question else "",
            reason,
            text,
            ReplyContext.without_reasoning(reply.context),
            memory_id,
        )
        self.memory_store.record_signal(signal)
        return signal

    def _question_for(self, reply: Message) -> Message | None:
        """The user message a reply answered."""
        before = [
            m
            for m in self.store.list_messages(reply.conversation_id, include_inactive=True)
            if m.role == "user" and m.created_at <= reply.created_at
        ]
        return before[-1] if before else None

    def _reply_message(self, message_id: str) -> Message:
        message = self.store.get_message(message_id)
        if message.role != "assistant":
            raise InputError(
                f"message {message_id} is the user's, not a reply",
                "give the id of an assistant message (`assistant conversations show ID`)",
            )
        return message

    def _require_feedback(self) -> LearningLevel:
        level = self.level()
        if level not in FEEDBACK_LEVELS:
            raise InputError(
                f"feedback is not recorded at learning level `{level}`",
                'set `learning = "feedback"` in config, or ASSISTANT_LEARNING=feedback',
            )
        return level

    def feedback(self, message_id: str, verdict: SignalKind, reason: str = "") -> FeedbackResult:
        """Thumbs up or down on a reply; repeated downs with one cause propose a rule."""
        if verdict not in ("up", "down"):
            raise InputError(f"feedback is `up` or `down`, not `{verdict}`")
        level = self._require_feedback()
        signal = self._signal(
            level, verdict, self._reply_message(message_id), reason=reason.strip()
        )
        assert signal is not None
        self._verdicts_changed()
        proposed = self._propose_rules(level) if verdict == "down" else []
        return FeedbackResult(signal, proposed=tuple(proposed))

    def _propose_rules(self, level: LearningLevel) -> list[Memory]:
        loop = self.learning_loop()
        rules = self.memory_store.list_memories(ALL_MEMORY_STATUSES, "rule")
        made = [
            loop.book.propose_rule(cause.rule, cause.key, replies, active=level == "full")
            for cause, replies in proposals(self.memory_store.signals("down"), rules)
        ]
        if made:
            loop.invalidate()
        return made

    def correct(self, message_id: str, text: str) -> FeedbackResult:
        """Record that the right answer to the reply's question is `text`."""
        level = self._require_feedback()
        reply = self._reply_message(message_id)
        question = self._question_for(reply)
        if question is None:
            raise NotFoundError(f"no question found before reply {message_id}")
        loop = self.learning_loop()
        # What the reply copied from its own prompt is not its answer (echo.py).
        wrong = recallable(reply.content, injected_texts(reply.context)) or "…"
        changed = loop.book.add_correction(
            question.content, wrong, clean_input(text), (question.id, reply.id)
        )
        loop.invalidate()
        signal = self._signal(level, "correction", reply, text=text, memory_id=changed[0].id)
        assert signal is not None
        return FeedbackResult(signal, tuple(changed))

    def accept_offer(self, offer: CorrectionOffer) -> FeedbackResult:
        """The user confirmed that their message was a correction of the last reply."""
        return self.correct(offer.reply_id, offer.right)

    def keep_rule(self, memory_id: str, text: str | None = None) -> Memory:
        """Apply a proposed rule (optionally reworded) from the next conversation on."""
        loop = self.learning_loop()
        kept = loop.book.keep_rule(memory_id, text)
        loop.invalidate()
        return kept

    def discard_rule(self, memory_id: str) -> Memory:
        loop = self.learning_loop()
        discarded = loop.book.discard_rule(memory_id)
        loop.invalidate()
        return discarded
