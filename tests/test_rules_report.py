"""Rules from feedback and the learning report: pure functions, golden cases."""

from datetime import UTC, datetime, timedelta

from assistant.core.learning.report import answered_against, by_day, report, topics
from assistant.core.learning.rules import RULE_AFTER, cause_of, proposals
from assistant.core.records import Memory, Signal

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def down(i: int, reason: str, day: int = 0) -> Signal:
    return Signal(f"s{i}", "down", f"r{i}", "c", T0 + timedelta(days=day, minutes=i), reason=reason)


def rule(key: str, status: str, when: datetime) -> Memory:
    return Memory("m", "rule", "Keep answers short.", key, (), when, when, status)  # type: ignore[arg-type]


def test_reasons_map_to_causes() -> None:
    assert cause_of("Too long!") == cause_of("way too verbose") == cause_of("rambling")
    assert cause_of("too long").rule == "Keep answers short."  # type: ignore[union-attr]
    assert cause_of("wrong units").rule == "Use metric units."  # type: ignore[union-attr]
    assert cause_of("in Fahrenheit again").key == "rule:units:metric"  # type: ignore[union-attr]
    # A reason that asks for a system gets that system, not the default.
    assert cause_of("use miles please").rule == "Use imperial units."  # type: ignore[union-attr]
    assert cause_of("not kilometres!").key == "rule:units:imperial"  # type: ignore[union-attr]
    assert cause_of("too many pounds, use kg").rule == "Use metric units."  # type: ignore[union-attr]
    assert cause_of("") is None
    odd = cause_of("it rhymes too much")
    assert odd is not None and odd.key.startswith("rule:reason:")


def test_a_rule_needs_enough_downs_for_one_cause() -> None:
    downs = [down(i, "too long") for i in range(RULE_AFTER - 1)] + [down(9, "wrong units")]
    assert proposals(downs, []) == []
    downs.append(down(10, "so wordy"))
    [(cause, replies)] = proposals(downs, [])
    assert cause.rule == "Keep answers short."
    assert replies == ["r0", "r1", "r10"]


def test_a_decided_rule_resets_its_count() -> None:
    downs = [down(i, "too long") for i in range(RULE_AFTER)]
    decided = rule("rule:length:short", "discarded", T0 + timedelta(hours=1))
    assert proposals(downs, [decided]) == []
    later = [down(20 + i, "too long", day=1) for i in range(RULE_AFTER)]
    assert len(proposals(downs + later, [decided])) == 1


def test_answered_against_a_correction() -> None:
    assert answered_against("Canberra", "The capital is Sydney.")
    assert not answered_against("Canberra", "It is Canberra, of course.")
    assert not answered_against("", "anything")


def test_report_counts_days_and_repeat_rate() -> None:
    signals = [down(1, "too long"), down(2, "too long", day=1)]
    days = by_day([], signals)
    assert [d["date"] for d in days] == ["2026-11-01", "2026-11-02"]
    assert [d["down"] for d in days] == [1, 1]
    data = report("feedback", [], signals, [], [])
    assert data["repeat_mistakes"] == {
        "similar_questions": 0,
        "against_correction": 0,
        "rate": None,
        "with_correction": 0,
        "adoption": None,
    }


def test_topics_cluster_similar_questions() -> None:
    vectors = [[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]]
    found = topics(["capital of France", "capital of Spain", "boil eggs"], vectors)
    assert found[0]["negatives"] == 2 and "capital" in str(found[0]["label"])
    assert found[1]["negatives"] == 1
