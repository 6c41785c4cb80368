"""What the service tells its shells: the events of a turn, and the results of feedback
and imports. A turn's events keep these names from the core to the screen."""

from dataclasses import dataclass, field

from assistant.core.learning.loop import RecallContext
from assistant.core.ports.chat import Usage
from assistant.core.records import (
    Conversation,
    LearningLevel,
    Memory,
    Message,
    Signal,
)


@dataclass(frozen=True)
class CorrectionOffer:
    """The user's message looks like a correction of the last reply: offered, not assumed."""

    reply_id: str
    question: str
    wrong: str
    right: str

    def as_dict(self) -> dict[str, str]:
        return {
            "reply_id": self.reply_id,
            "question": self.question,
            "wrong": self.wrong,
            "right": self.right,
        }


@dataclass(frozen=True)
class FeedbackResult:
    """What one signal did: the signal, and any memories it created or changed."""

    signal: Signal
    changed: tuple[Memory, ...] = ()
    proposed: tuple[Memory, ...] = ()


@dataclass(frozen=True)
class TurnStarted:
    """The user's message is stored; the reply is about to stream."""

    conversation: Conversation
    user_message: Message | None
    context: RecallContext = field(default_factory=RecallContext)


@dataclass(frozen=True)
class ReplyDelta:
    """A piece of the reply text."""

    text: str


@dataclass(frozen=True)
class ReplyRestarted:
    """What streamed of the reply so far is withdrawn: that try only recited the
    instructions, and a second try streams next. A shell clears what it showed."""


@dataclass(frozen=True)
class ReasoningDelta:
    """A piece of a reasoning model's thinking (`<think>…</think>`): shown apart,
    never part of the reply's text (assistant/core/reasoning.py)."""

    text: str


@dataclass(frozen=True)
class ReplyEnded:
    """The reply has streamed whole (or was stopped), as it will be stored.

    It comes before the reply is stored, so a shell can show the final text at once:
    storing takes two LanceDB writes (25-35 ms here) that the user need not wait for.
    `reasoning` is the model's thinking, kept apart from `text`.
    """

    text: str
    reasoning: str = ""


@dataclass(frozen=True)
class TurnFinished:
    """The reply is complete (or stopped) and stored."""

    conversation: Conversation
    user_message: Message | None
    reply: Message
    usage: Usage
    context: RecallContext = field(default_factory=RecallContext)
    incognito: bool = False
    learning: LearningLevel = "memory"
    offer: CorrectionOffer | None = None
    # Why the core ended the reply before the model did (reply_shape.py): "loop", "echo"
    # or "brevity"; "" when the model ended it, ran out of tokens or the user stopped it.
    ended_by: str = ""
    # The first try only recited the instructions, so the reply is a second, sampled try.
    retried: bool = False
    # Quantities the core converted into the user's preferred units (reply_units.py).
    converted_units: int = 0


TurnEvent = TurnStarted | ReplyDelta | ReplyRestarted | ReasoningDelta | ReplyEnded | TurnFinished


@dataclass(frozen=True)
class ImportSummary:
    """What an import added; `skipped` counts unusable and already-imported messages."""

    conversations: int
    messages: int
    skipped: int
    learned: int = 0
