"""Prompt blocks: golden text, packing into a budget, and byte-stable preferences."""

from datetime import UTC, datetime

from assistant.core.learning.context_block import (
    RETRIEVED_HEADER,
    UPDATES_HEADER,
    joined,
    pack,
    preferences_block,
    standing_updates,
    system_with_preferences,
    with_retrieved,
)
from assistant.core.learning.recall import Hit
from assistant.core.records import Memory

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def memory(i: int, text: str, kind: str = "preference") -> Memory:
    when = T0.replace(day=i)
    return Memory(f"m{i}", kind, text, f"k{i}", (), when, when)  # type: ignore[arg-type]


def hit(i: int, text: str, score: float, kind: str = "memory") -> Hit:
    return Hit(kind, f"h{i}", text, score, T0.replace(day=i))  # type: ignore[arg-type]


def words(text: str) -> int:
    return len(text.split())


def test_preferences_golden_and_order_independent() -> None:
    a, b = (
        memory(1, "The user prefers short answers."),
        memory(2, "The user is vegetarian.", "fact"),
    )
    block = preferences_block([b, a])
    assert block == preferences_block([a, b])
    assert block.splitlines()[1:] == [
        "- The user prefers short answers.",
        "- The user is vegetarian.",
    ]
    assert system_with_preferences("Be kind.", [a]) == f"Be kind.\n\n{preferences_block([a])}"
    assert system_with_preferences("Be kind.", []) == "Be kind."


def test_standing_updates_name_what_was_added_and_dropped() -> None:
    lisbon, berlin, short = (
        memory(1, "The user lives in Lisbon.", "fact"),
        memory(2, "The user lives in Berlin.", "fact"),
        memory(3, "The user prefers short answers."),
    )
    assert standing_updates([lisbon, short], [short, lisbon]) == ""
    assert standing_updates([lisbon, short], [short, berlin]).splitlines() == [
        "<updates>",
        UPDATES_HEADER,
        "- The user lives in Berlin.",
        "- No longer true: The user lives in Lisbon.",
        "</updates>",
    ]
    assert joined("", "a", "", "b") == "a\nb"


def test_retrieved_block_golden() -> None:
    block, used = pack([hit(3, "The user has two cats.", 0.5)], 200, words)
    assert block == (
        f"<recalled>\n{RETRIEVED_HEADER}\n- [2026-11-03] The user has two cats.\n</recalled>"
    )
    assert [h.id for h in used] == ["h3"]
    assert with_retrieved(block, "hi") == block + "\n\nhi"
    assert with_retrieved("", "hi") == "hi"


def test_packing_respects_the_budget_best_first() -> None:
    hits = [hit(i, "word " * 20, score=i / 10) for i in range(1, 9)]
    block, used = pack(hits, 90, words)
    assert words(block) <= 90
    assert [h.id for h in used] == sorted((h.id for h in used), reverse=True)
    assert used[0].id == "h8"
    assert 1 <= len(used) < len(hits)
    assert pack(hits, 5, words) == ("", [])
