"""What becomes a training example, and what never does (pure functions, no model)."""

import json
from dataclasses import replace

import pytest

from assistant.core.learning.dataset import Collected, collect, split, without_duplicates
from assistant.core.learning.redact import redact
from assistant.core.records import Message, Signal, new_id, utc_now


def reply(text: str, level: str = "full", tokens: int = 5, limit: int = 64) -> Message:
    context = {
        "preferences": [],
        "prompt": {"system": "Be brief.", "user": "what is 2+2?"},
        "level": level,
        "max_tokens": limit,
    }
    return Message(
        new_id(),
        "conv-1",
        "assistant",
        text,
        utc_now(),
        usage={"completion_tokens": tokens, "stopped": False},
        context=json.dumps(context),
    )


def signal(kind: str, message: Message, text: str = "", question: str = "q1") -> Signal:
    return Signal(
        new_id(), kind, message.id, message.conversation_id, utc_now(), question, text=text
    )  # type: ignore[arg-type]


def collected(signals: list[Signal], *messages: Message) -> Collected:
    by_id = {m.id: m for m in messages}
    return collect(signals, by_id.get)


def test_an_approved_answer_keeps_the_prompt_it_was_given() -> None:
    good = reply("4")
    [example] = collected([signal("up", good)], good).examples
    assert example.sft_row() == {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "what is 2+2?"},
            {"role": "assistant", "content": "4"},
        ],
        "source": "approved",
    }


def test_a_correction_gives_an_sft_row_and_a_pair_with_the_original_rejected() -> None:
    wrong = reply("5")
    [example] = collected([signal("correction", wrong, "4")], wrong).examples
    assert example.sft_row()["messages"][-1] == {"role": "assistant", "content": "4"}  # type: ignore[index]
    pair = example.dpo_row()
    assert pair["chosen"] == [{"role": "assistant", "content": "4"}]
    assert pair["rejected"] == [{"role": "assistant", "content": "5"}]
    assert pair["prompt"][-1] == {"role": "user", "content": "what is 2+2?"}  # type: ignore[index]


def test_a_preferred_regeneration_gives_a_pair() -> None:
    first, second = reply("five"), reply("4")
    first = replace(first, status="replaced")
    signals = [signal("regenerate", first), signal("up", second)]
    kinds = sorted((e.kind, e.rejected) for e in collected(signals, first, second).examples)
    assert kinds == [("approved", ""), ("regenerated", "five")]


@pytest.mark.parametrize(
    ("message", "signals_of", "reason"),
    [
        (reply("4", level="feedback"), ["up"], "below_level_full"),
        (reply("4", tokens=64), ["up"], "truncated"),
        (reply("I'm sorry, I can't help with that."), ["up"], "refusal_or_empty"),
        (replace(reply("4"), status="replaced"), ["up"], "replaced"),
        (replace(reply("4"), context=""), ["up"], "no_recorded_prompt"),
    ],
)
def test_what_never_counts(message: Message, signals_of: list[str], reason: str) -> None:
    found = collected([signal(k, message) for k in signals_of], message)
    assert found.examples == []
    assert found.dropped == {reason: 1}


def test_the_latest_verdict_wins_and_deleted_replies_are_skipped() -> None:
    changed_mind = reply("4")
    assert (
        collected([signal("up", changed_mind), signal("down", changed_mind)], changed_mind).examples
        == []
    )
    gone = reply("4")
    found = collected([signal("up", gone)])  # the reply is no longer stored
    assert found.examples == [] and found.dropped == {"deleted": 1}


def test_duplicates_go_exact_then_near() -> None:
    a, b, c = reply("4"), reply("4"), reply("Paris")
    examples = collected([signal("up", m) for m in (a, b, c)], a, b, c).examples
    found = Collected()

    def embed(texts: list[str]) -> list[list[float]]:
        return [[1.0, 0.0] if "4" in t else [0.0, 1.0] for t in texts]

    assert [e.answer for e in without_duplicates(examples, embed, found)] == ["4", "Paris"]
    assert found.dropped == {"duplicate": 1}
    near = [examples[0], replace(examples[2], answer="4!")]
    assert len(without_duplicates(near, embed, found)) == 1
    assert found.dropped["near_duplicate"] == 1


def test_split_holds_out_whole_conversations() -> None:
    examples = [
        replace(collected([signal("up", m)], m).examples[0], conversation_id=c)
        for c, m in [(f"c{i}", reply("4")) for i in range(30)]
    ]
    held = split(examples)
    assert 1 <= len(held) < 30
    assert split(examples) == held  # stable


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail me at jo.doe+x@example.co.uk now", "mail me at [EMAIL] now"),
        ("card 4111 1111 1111 1111 ok", "card [CARD] ok"),
        ("call +44 20 7946 0958", "call [PHONE]"),
        ("key sk-abcdefghijklmnopqrstuvwx123", "key [SECRET]"),
        ("token ghp_0123456789abcdefghijABCDEFGHIJ", "token [SECRET]"),
        ("a3f9c2e1b7d8a3f9c2e1b7d8a3f9c2e1b7d8", "[SECRET]"),
        ("in 2024 we had 1234 users, order 12345678", "in 2024 we had 1234 users, order 12345678"),
        (
            "a supercalifragilisticexpialidociouslylongword",
            "a supercalifragilisticexpialidociouslylongword",
        ),
    ],
)
def test_redaction(text: str, expected: str) -> None:
    assert redact(text) == expected
