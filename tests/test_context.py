import pytest

from assistant.core.errors import InputError
from assistant.core.ports.chat import ChatMessage
from assistant.core.prompt_plan import MESSAGE_OVERHEAD, plan_prompt


def words(text: str) -> int:
    return len(text.split())


def turns(n: int, size: int = 10) -> list[ChatMessage]:
    out = []
    for i in range(n):
        out.append(ChatMessage("user", " ".join([f"u{i}"] * size)))
        out.append(ChatMessage("assistant", " ".join([f"a{i}"] * size)))
    return [*out, ChatMessage("user", "newest question")]


def test_everything_fits() -> None:
    history = turns(3)
    plan = plan_prompt("be nice", history, words, budget=10_000)
    assert plan.start == 0
    assert plan.messages[0] == ChatMessage("system", "be nice")
    assert plan.messages[1:] == history


def test_oldest_turns_dropped_system_and_newest_kept() -> None:
    history = turns(20)
    budget = 200
    plan = plan_prompt("sys", history, words, budget)
    assert plan.messages[0].role == "system"
    assert plan.messages[-1].content == "newest question"
    assert plan.messages[1].role == "user"
    assert plan.start > 0
    assert plan.estimated_tokens <= budget
    assert sum(words(m.content) + MESSAGE_OVERHEAD for m in plan.messages) <= budget


def test_cut_point_is_sticky_so_the_prefix_is_reused() -> None:
    history = turns(20)
    first = plan_prompt("sys", history, words, 200)
    grown = [*history, ChatMessage("assistant", "reply"), ChatMessage("user", "next")]
    second = plan_prompt("sys", grown, words, 200, start=first.start)
    assert second.start == first.start
    assert second.messages[: len(first.messages)] == first.messages


def test_message_too_long_for_window() -> None:
    with pytest.raises(InputError, match="too long"):
        plan_prompt("sys", [ChatMessage("user", "w " * 500)], words, budget=100)
