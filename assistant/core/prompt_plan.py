"""Fit a conversation into the model's context window: pure functions, no model needed.

The system prompt and the newest user message are always kept; the oldest turns go
first. When trimming is needed we cut well below the limit (to LOW_WATER of the
budget) and the caller keeps that cut point for later turns. The prompt prefix then
stays identical from turn to turn, so llama.cpp's prefix cache keeps working instead
of re-evaluating the whole history each time one more old turn falls off.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.core.errors import InputError
from assistant.core.ports.chat import ChatMessage

# Template tokens around each message (turn markers, role, newlines), rounded up.
MESSAGE_OVERHEAD = 8
LOW_WATER = 0.75


@dataclass(frozen=True)
class PromptPlan:
    """The messages to send, and the history index the window starts at."""

    messages: list[ChatMessage]
    start: int
    estimated_tokens: int


def plan_prompt(
    system: str,
    history: Sequence[ChatMessage],
    count_tokens: Callable[[str], int],
    budget: int,
    start: int = 0,
) -> PromptPlan:
    """Choose which turns of `history` (newest last, a user turn) fit in `budget` tokens."""
    if not history:
        raise ValueError("history must end with the newest user message")
    system_cost = count_tokens(system) + MESSAGE_OVERHEAD if system else 0
    costs = [count_tokens(m.content) + MESSAGE_OVERHEAD for m in history]
    newest = system_cost + costs[-1]
    if newest > budget:
        raise InputError(
            f"the message is too long for the model: about {costs[-1]} tokens, "
            f"and the context window leaves room for {budget - system_cost}",
            "shorten it, or use a model with a larger context (`context_length` in config)",
        )
    last = len(history) - 1
    start = min(max(start, 0), last)
    total = system_cost + sum(costs[start:])
    if total > budget:
        target = max(budget * LOW_WATER, newest)
        while start < last and total > target:
            total -= costs[start]
            start += 1
    # A window must open on a user turn: chat templates expect user/assistant alternation.
    while start < last and history[start].role != "user":
        total -= costs[start]
        start += 1
    messages = [ChatMessage("system", system)] if system else []
    messages.extend(history[start:])
    return PromptPlan(messages, start, total)
