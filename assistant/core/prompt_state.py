"""The prompt state of running conversations: one class instead of three loose dicts.

A conversation's next prompt must extend its last one byte for byte, so llama.cpp
reuses the evaluated prefix instead of evaluating the whole conversation again
(seconds on a CPU). That needs three things remembered per conversation: where its
window starts, the system block it was sent (with the standing memories in it), and
the notes each user turn was sent with. They are reset together, by the events that
invalidate them: another model, a changed memory, an erased document, a delete.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace

from assistant.core.errors import InputError
from assistant.core.learning.context_block import (
    joined,
    standing_updates,
    system_with_preferences,
    with_retrieved,
)
from assistant.core.learning.loop import RecallContext
from assistant.core.ports.chat import ChatMessage
from assistant.core.prompt_plan import PromptPlan, plan_prompt
from assistant.core.records import Conversation, Memory, Message


@dataclass(frozen=True)
class _Standing:
    """A conversation's system block, kept byte-identical while the conversation runs.

    Standing memories that change mid-conversation reach it as update notes in the
    newest turn instead: rebuilding the system block would make llama.cpp evaluate the
    whole conversation again (seconds on a CPU), on the turn after every preference.
    """

    source: str
    system: str
    delivered: tuple[Memory, ...]

    @staticmethod
    def build(system_prompt: str, standing: tuple[Memory, ...]) -> "_Standing":
        return _Standing(system_prompt, system_with_preferences(system_prompt, standing), standing)


class PromptState:
    """Per conversation: the window's start, the system block sent, the notes sent."""

    def __init__(self) -> None:
        self._window_start: dict[str, int] = {}
        self._sent_blocks: dict[str, str] = {}
        self._standing: dict[str, _Standing] = {}

    def system_for(
        self, conversation: Conversation, preferences: Callable[[], tuple[Memory, ...]]
    ) -> str:
        """The system block the conversation's next prompt would start with."""
        standing = self._standing.get(conversation.id)
        if standing is not None and standing.source == conversation.system_prompt:
            return standing.system
        return system_with_preferences(conversation.system_prompt, preferences())

    def plan(
        self,
        conversation: Conversation,
        history: list[Message],
        context: RecallContext,
        count: Callable[[str], int],
        budget: int,
    ) -> list[ChatMessage]:
        """The prompt for the conversation's next reply, remembered for the one after."""
        window = self._window_start.get(conversation.id, 0)
        standing = self._standing.get(conversation.id)
        if standing is None or standing.source != conversation.system_prompt:
            standing = _Standing.build(conversation.system_prompt, context.preferences)
        updates = standing_updates(standing.delivered, context.preferences)
        block = joined(updates, context.block)
        try:
            plan = self._fit(history, standing.system, block, window, count=count, budget=budget)
        except InputError:  # the message fits (checked) but not with its notes
            block = updates = ""
            plan = self._fit(history, standing.system, block, window, count=count, budget=budget)
        if plan.start != window and standing.delivered:
            # The window moved, so the whole prompt is evaluated afresh anyway: rebuild
            # the system block from what is standing now (earlier update notes may
            # have just fallen out of the window).
            standing = _Standing.build(conversation.system_prompt, context.preferences)
            block = "" if not block else context.block
            plan = self._fit(
                history, standing.system, block, plan.start, count=count, budget=budget
            )
        self._standing[conversation.id] = replace(standing, delivered=context.preferences)
        if history and history[-1].role == "user":
            self._sent_blocks[history[-1].id] = block
        self._window_start[conversation.id] = plan.start
        return plan.messages

    def _fit(
        self,
        history: list[Message],
        system: str,
        block: str,
        window: int,
        *,
        count: Callable[[str], int],
        budget: int,
    ) -> PromptPlan:
        # Earlier user turns are rendered exactly as they were sent (with their recalled
        # notes), so the prompt only grows at its end and llama.cpp reuses the prefix.
        turns = [
            ChatMessage(m.role, with_retrieved(self._sent_blocks.get(m.id, ""), m.content))
            for m in history
        ]
        if turns:
            turns[-1] = ChatMessage(turns[-1].role, with_retrieved(block, history[-1].content))
        return plan_prompt(system, turns, count, budget, window)

    def model_changed(self) -> None:
        """Token counts and the context length changed: each window is planned afresh."""
        self._window_start.clear()

    def conversation_deleted(self, conversation_id: str) -> None:
        self._window_start.pop(conversation_id, None)

    def memories_changed(self) -> None:
        """Prompts built from a changed memory are rebuilt: the next turn starts afresh."""
        self._standing.clear()
        self._sent_blocks.clear()

    def documents_erased(self) -> None:
        """Build the next prompts afresh rather than from notes that quoted the files."""
        self._sent_blocks.clear()

    def forget_everything(self) -> None:
        self._window_start.clear()
        self.memories_changed()
