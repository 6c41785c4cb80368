"""Rule extraction across phrasings, and the things that must not become memories."""

import pytest

from assistant.core.learning.extract import extract_rules
from assistant.core.learning.wording import third_person

POSITIVE = [
    ("I'm vegetarian", "fact", "The user is vegetarian.", "diet"),
    ("I am a vegan", "fact", "The user is a vegan.", "diet"),
    ("I live in Lisbon", "fact", "The user lives in Lisbon.", "location"),
    ("I moved to Berlin last month", "fact", "The user lives in Berlin.", "location"),
    ("I've just moved to Porto", "fact", "The user lives in Porto.", "location"),
    ("I prefer short answers.", "preference", "The user prefers short answers.", None),
    ("I really like jazz", "preference", "The user likes jazz.", None),
    ("I hate cilantro", "preference", "The user hates cilantro.", None),
    ("I can't stand reality TV", "preference", "The user can't stand reality TV.", None),
    ("I'd prefer metric units", "preference", "The user prefers metric units.", None),
    (
        "I use the metric system, so give distances in kilometres",
        "preference",
        "The user uses metric units.",
        "units",
    ),
    ("Please use miles, not kilometres", "preference", "The user uses imperial units.", "units"),
    ("My favourite colour is blue", "preference", "The user's favourite colour is blue.", None),
    ("my dog's name is Rex", "fact", "The user's dog's name is Rex.", None),
    ("My name is Ana", "fact", "The user's name is Ana.", "name"),
    ("call me Sam", "preference", "The user wants to be called Sam.", "name"),
    (
        "From now on, answer in French",
        "preference",
        "The user asked: from now on, answer in French.",
        None,
    ),
    ("Don't ever use emojis", "preference", "The user asked you to never use emojis.", None),
    ("Never use emojis", "preference", "The user asked you to never use emojis.", None),
    (
        "Always feed the cat before you answer",
        "preference",
        "The user asked you to always feed the cat before you answer.",
        None,
    ),
    (
        "Always cite your sources",
        "preference",
        "The user asked you to always cite your sources.",
        None,
    ),
    (
        "Remember that my sister's birthday is May 3",
        "fact",
        "The user's sister's birthday is May 3.",
        None,
    ),
    ("remember: the wifi password is hunter2", "fact", "The wifi password is hunter2.", None),
    ("I no longer eat meat", "fact", "The user no longer eats meat.", "diet"),
    ("I work as a nurse", "fact", "The user works as a nurse.", "occupation"),
    ("I'm allergic to peanuts", "fact", "The user is allergic to peanuts.", "allergy:peanuts"),
    ("well, I'm 34 years old", "fact", "The user is 34 years old.", "age"),
    ("I don't eat pork", "fact", "The user doesn't eat pork.", "eat:pork"),
    ("I have two cats", "fact", "The user has two cats.", None),
    ("I'm sober now", "fact", "The user is sober now.", None),  # "so" is not "sober"
]


@pytest.mark.parametrize(("text", "kind", "memory", "key"), POSITIVE)
def test_explicit_statements(text: str, kind: str, memory: str, key: str | None) -> None:
    found = extract_rules(text)
    assert len(found) == 1, found
    assert (found[0].kind, found[0].text) == (kind, memory)
    if key:
        assert found[0].key == key


NEGATIVE = [
    "Do you like pizza?",
    "What is my name?",
    "can you recommend a vegetarian restaurant",
    "If I were rich I would buy a boat",
    "Imagine I lived in Tokyo",
    "My friend loves sushi",
    "My wife likes horror films",
    'She said "I love cats" yesterday',
    "> I live in Paris",
    "I'm tired",
    "I'm going to the shop",
    "I'm not sure",
    "I'm totally hooked!",  # a state of the moment, not who the user is
    "I'm on fire",
    "I have a question",
    "I'd like a coffee",
    "thanks, that helps",
    "hello there",
    "I think it's great",
    "I use the metro every day",  # not a unit system
    # Sayings and sentences that dropped their "I" are not standing instructions.
    "Never say never!",
    "Always a joy to see him so happy",
    "Never been to Paris, though",
    "Never tried sushi",
    "Never mind",
]


@pytest.mark.parametrize("text", NEGATIVE)
def test_no_memory_from_questions_hypotheticals_others_and_chit_chat(text: str) -> None:
    assert extract_rules(text) == []


def test_compound_sentence_gives_two_memories() -> None:
    found = extract_rules("I'm vegetarian and I live in Lisbon")
    assert [c.text for c in found] == ["The user is vegetarian.", "The user lives in Lisbon."]


def test_later_statement_about_a_slot_wins_within_a_message() -> None:
    found = extract_rules("I love olives. Actually, I hate olives.")
    assert [c.text for c in found] == ["The user hates olives."]


def test_love_then_hate_share_a_slot() -> None:
    assert extract_rules("I love X")[0].key == extract_rules("I hate X")[0].key


def test_third_person() -> None:
    assert third_person("I think my car is mine") == "the user thinks the user's car is the user's"
    # Chat's lower-case "i" is the same "I"; "i.e." is not.
    assert third_person("i went home, i.e. i left") == "the user went home, i.e. the user left"
    # In a rule's free text too: the verb agrees, and "we" (the user and the assistant,
    # in an instruction) is left alone.
    assert [c.text for c in extract_rules("My favorite song is a theme from a film I enjoy.")] == [
        "The user's favorite song is a theme from a film the user enjoys."
    ]
    assert third_person("when we talk about code") == "when we talk about code"


def test_a_quoted_title_is_part_of_the_fact_and_quoted_speech_is_not() -> None:
    assert [c.text for c in extract_rules('My favorite book is "Becoming Nicole".')] == [
        'The user\'s favorite book is "Becoming Nicole".'
    ]
    assert [c.text for c in extract_rules("I love 'Brave' by Sara Bareilles.")] == [
        'The user loves "Brave" by Sara Bareilles.'
    ]
    assert extract_rules('My sister told me "I am vegetarian now".') == []
