"""Quantities in the user's units: "26.2 miles (42.2 km)" once the user asked for metric.

The conversion (assistant/core/reply_units.py) is pure; it is also run through the
Assistant on the scripted backend (what streams, what is stored) and on the real model.
"""

from pathlib import Path

import pytest

from assistant.compose import build_assistant, load_environment
from assistant.core import Assistant, ReplyDelta, TurnFinished
from assistant.core.reply_units import UnitsInReply, UnitSystem, convert, unit_system
from assistant.embedder import Embedder
from assistant.llm.fake import ScriptedBackend
from assistant.llm.process import ProcessBackend


def streamed(text: str, system: UnitSystem, step: int) -> str:
    """What a terminal shows when `text` arrives in `step`-character pieces."""
    units = UnitsInReply(system)
    return "".join(units.feed(text[i : i + step]) for i in range(0, len(text), step)) + (
        units.finish()
    )


@pytest.mark.parametrize(
    ("system", "reply", "expected"),
    [
        (
            "metric",
            "A marathon is 26.2 miles, about 2.2 miles more than a half.",
            "A marathon is 26.2 miles (42.2 km), about 2.2 miles (3.5 km) more than a half.",
        ),
        (
            "metric",
            "Cats weigh 8 to 10 pounds; big ones 15-20 lbs.",
            "Cats weigh 8 to 10 pounds (3.6 to 4.5 kg); big ones 15-20 lbs (6.8-9.1 kg).",
        ),
        ("metric", "Bake at 350°F for 1,200 seconds.", "Bake at 350°F (177°C) for 1,200 seconds."),
        ("metric", "A 5-mile run at 6 mph.", "A 5-mile (8 km) run at 6 mph (9.7 km/h)."),
        (
            "imperial",
            "Run 10 km at 12 km/h when it is 20 °C; carry 2 kg.",
            "Run 10 km (6.2 miles) at 12 km/h (7.5 mph) when it is 20 °C (68°F);"
            " carry 2 kg (4.4 lb).",
        ),
    ],
)
def test_each_quantity_in_the_other_system_gets_its_conversion(
    system: UnitSystem, reply: str, expected: str
) -> None:
    assert convert(reply, system)[0] == expected
    assert convert(expected, system) == (expected, 0)  # converting twice adds nothing


@pytest.mark.parametrize(
    "reply",
    [
        "A marathon is 42.2 km (26.2 miles).",  # already converted, either way round
        "A marathon is 26.2 miles (42.2 km).",
        "In 2019 the team of 300 ran 5 min faster.",  # figures without a unit
        "```\nrun(5, 'miles')\nx = 5 miles\n```",  # code is left alone
        "A good bike costs about 300 pounds; I paid 20 pounds sterling.",  # money
    ],
)
def test_what_the_reply_already_converts_and_code_stay_as_they_are(reply: str) -> None:
    assert convert(reply, "metric") == (reply, 0)


@pytest.mark.parametrize("step", [1, 2, 3, 7, 1000])
def test_what_streams_is_what_the_whole_reply_becomes(step: int) -> None:
    reply = (
        "It costs 9 pounds. From 100 to 200 pounds, or 20-30 lbs for a cat. It is 26.2 miles"
        " (42 km) far.\n"
        "```\ny = 5 miles\n```\nThen 5 feet 10 inches, and 350 degrees Fahrenheit."
    )
    whole, added = convert(reply, "metric")
    assert added == 5
    assert streamed(reply, "metric", step) == whole


def test_a_figure_is_held_back_only_until_its_unit_is_known() -> None:
    units = UnitsInReply("metric")
    assert units.feed("It is 26.2") == "It is "
    assert units.feed(" miles") == ""  # a bracket may still follow: "26.2 miles (42 km)"
    assert units.feed(" long. Then") == "26.2 miles (42.2 km) long. Then"
    assert units.feed(" 2019 was good") == " "  # a figure holds a few words, no more
    assert units.feed(" for us all") == "2019 was good for us all"
    assert units.finish() == ""


@pytest.mark.parametrize(
    ("preferences", "system"),
    [
        (["Use metric units."], "metric"),
        (["I use the metric system, so give distances in kilometres."], "metric"),
        (["Metric, not imperial, please."], "metric"),
        (["The user thinks in miles and pounds."], "imperial"),
        (["Use metric units.", "Actually I prefer imperial units."], "imperial"),
        (["The user prefers short answers.", "The user is vegetarian."], None),
    ],
)
def test_the_unit_system_comes_from_a_standing_preference(
    preferences: list[str], system: UnitSystem | None
) -> None:
    assert unit_system(preferences) == system


def test_a_learned_unit_preference_converts_what_streams_and_what_is_stored(
    assistant: Assistant, fake: ScriptedBackend
) -> None:
    reply = "A marathon is 26.2 miles long."
    fake.enqueue(reply, reply)
    *_, before = assistant.send("How far is a marathon?")
    assert isinstance(before, TurnFinished)
    assert (before.reply.content, before.converted_units) == (reply, 0)
    assistant.remember("The user uses the metric system.", "preference")
    events = list(assistant.send("How far is a marathon?"))
    after = events[-1]
    assert isinstance(after, TurnFinished)
    assert after.reply.content == "A marathon is 26.2 miles (42.2 km) long."
    assert after.converted_units == 1
    shown = "".join(e.text for e in events if isinstance(e, ReplyDelta))
    assert shown.strip() == after.reply.content
    stored = assistant.messages(after.conversation.id)[-1]
    assert stored.content == after.reply.content


def test_the_real_model_answers_in_kilometres_once_it_learned_the_preference(
    home: Path, real_backend: ProcessBackend, embedder: Embedder
) -> None:
    a = build_assistant(load_environment(max_tokens=96, temperature=0.0), real_backend, embedder)
    a.load(embedder=True)
    *_, stated = a.send(
        "I use the metric system, so give distances in kilometres and weights in kilograms."
    )
    assert isinstance(stated, TurnFinished)
    learned = a.learn(stated)
    assert any(unit_system([m.text]) == "metric" for m in learned), [m.text for m in learned]
    events = list(a.send("How far is a marathon?"))  # a new conversation
    turn = events[-1]
    assert isinstance(turn, TurnFinished)
    reply = turn.reply.content
    assert "km" in reply or "kilomet" in reply.lower(), reply
    assert convert(reply, "metric")[1] == 0, reply  # no imperial figure left unconverted
    shown = "".join(e.text for e in events if isinstance(e, ReplyDelta))
    assert shown.strip() == reply
