"""Correction detection across phrasings, the follow-ups that must not be offered as one,
and the exact wording of the correction memory."""

import pytest

from assistant.core.learning.corrections import (
    ANSWER_CHARS,
    correction_memory_text,
    detect_correction,
)

CORRECTIONS = [
    ("No, actually it's 42", "42"),
    ("That's wrong: the capital is Canberra", "the capital is Canberra"),
    ("That's not right, it's Canberra", "Canberra"),
    ("Not Sydney, Canberra", "Canberra"),
    ("Wrong. It's Canberra.", "Canberra"),
    ("Actually, it's Canberra", "Canberra"),
    ("Incorrect - the answer is 7", "7"),
    ("No, it is 1969.", "1969"),
    ("Nope, it was Armstrong", "Armstrong"),
    ("You're wrong, Paris is the capital of France", "Paris is the capital of France"),
    ("The correct answer is 12", "12"),
    ("No! It's spelled 'colour'", "spelled 'colour'"),
    # beyond the brief
    ("No, the capital is Canberra", "the capital is Canberra"),
    ("No, it's not 42, it's 43", "43"),
    ("Not Sydney but Canberra", "Canberra"),
    ("Not quite, it's 43", "43"),
    ("Wrong answer, it's 42", "42"),
    ("No, that's wrong, it's 42", "42"),
    ("No no, it's 7", "7"),
    ("The answer is actually 9", "9"),
    ("Actually the answer is 9", "9"),
    ("No, it's blue", "blue"),
    ("That\u2019s wrong \u2014 it\u2019s 42", "42"),
    ("You got it wrong: Everest is 8,849 m", "Everest is 8,849 m"),
    ('No, it\'s "colour"', "colour"),
    ("No, it was the U.S.", "the U.S."),
    ("No, it was Dr. Smith.", "Dr. Smith"),
    ("No,   it's\n42", "42"),
    ("Hmm, that's incorrect. The boiling point is 100 C.", "The boiling point is 100 C"),
    ("No, it's Canberra. Why did you say Sydney?", "Canberra"),
    ("The correct spelling is 'colour'", "The correct spelling is 'colour'"),
]

NOT_CORRECTIONS = [
    "no worries",
    "not bad",
    "no thanks",
    "No problem!",
    "not really",
    "no, thank you",
    "Not now",
    "no idea",
    "Actually, I have another question",
    "actually can you tell me a joke?",
    "That's right",
    "Not sure",
    "no",
    "Nope",
    "What is the capital?",
    "No, I don't think so",
    "Not bad at all, thanks",
    "that's not what I asked, can you explain X?",
    "I was wrong about the date",
    "Wrong number of items? Let me check",
    # beyond the brief
    "",
    "   ",
    "No, it's fine",
    "Actually, it's fine",
    "Nah, it's all good",
    "No, it's too long",
    "No, it's working now",
    "No, it's raining",
    "No, it's a bit long",
    "No, it's me",
    "No, it's my fault",
    "No, it's not",
    "No, it's 42?",
    "No?",
    "Wrong?",
    "Is that wrong?",
    "That's wrong",
    "Wrong.",
    "That's wrong, try again",
    "That's incorrect. Let me rephrase.",
    "That's wrong, because you forgot the tax",
    "I think you're wrong",
    "It's wrong to assume that",
    "No, you're right",
    "No, I was wrong",
    "No, that's it",
    "No, that's not what I meant",
    "No, the problem is my code",
    "Nope, never mind",
    "Not now, thanks",
    "Not really, I'm fine",
    "Not right now",
    "Not sure, maybe later",
    "Not a problem, happy to help",
    "Actually, it's my birthday today",
    "Actually, it's for a school project",
    "It's actually pretty good",
    "Oh no, it's Monday tomorrow",
]


@pytest.mark.parametrize(("text", "right"), CORRECTIONS)
def test_detects_correction(text: str, right: str) -> None:
    assert detect_correction(text) == right


@pytest.mark.parametrize("text", NOT_CORRECTIONS)
def test_ignores_non_corrections(text: str) -> None:
    assert detect_correction(text) is None


def test_memory_text_golden() -> None:
    text = correction_memory_text("What is the capital of Australia?", "Sydney.", "Canberra")
    assert text == (
        'Earlier, asked "What is the capital of Australia?", you answered "Sydney."; '
        "the user corrected it to: Canberra."
    )


@pytest.mark.parametrize("right", ["Canberra.", "Canberra!", "Is it Canberra?"])
def test_memory_text_keeps_final_punctuation(right: str) -> None:
    text = correction_memory_text("q", "a", right)
    assert text.endswith(f": {right}")


def test_memory_text_squashes_whitespace() -> None:
    text = correction_memory_text("  What is\nthe\t capital? ", "It is\n\nSydney", " Can\nberra ")
    assert text == (
        'Earlier, asked "What is the capital?", you answered "It is Sydney"; '
        "the user corrected it to: Can berra."
    )


def test_memory_text_truncates_each_part() -> None:
    question, wrong, right = "q" * 250, "w" * 201, "r" * 301
    text = correction_memory_text(question, wrong, right)
    assert f'asked "{"q" * 199}…",' in text
    assert f'answered "{"w" * (ANSWER_CHARS - 1)}…";' in text
    assert text.endswith(f"to: {'r' * 299}….")


def test_memory_text_leaves_parts_at_the_limit_whole() -> None:
    question, wrong, right = "q" * 200, "w" * ANSWER_CHARS, "r" * 300
    text = correction_memory_text(question, wrong, right)
    assert f'"{question}"' in text
    assert f'"{wrong}"' in text
    assert text.endswith(f"to: {right}.")
    assert "…" not in text


def test_a_correction_reaches_the_prompt_as_question_and_answer_only() -> None:
    """The stored note tells the story (for the memory browser); the model reads only the
    question and the right answer, which bench_answers measured SmolLM2 adopting more
    often (0.83 against 0.63) and never narrating."""
    from assistant.core.learning.context_block import pack
    from assistant.core.learning.corrections import correction_memory_text, correction_prompt_text
    from assistant.core.learning.recall import Hit
    from assistant.core.records import utc_now

    question = "How long do I boil an egg?"
    note = correction_memory_text(question, 'About "twenty" minutes', "6 minutes.")
    line = 'The answer to "How long do I boil an egg?" is: 6 minutes.'
    assert correction_prompt_text(note) == line
    assert correction_prompt_text("My own words for it.") == "My own words for it."  # edited
    hit = Hit("memory", "m1", note, 1.0, utc_now(), memory_kind="correction")
    block, used = pack([hit], 200, lambda text: len(text.split()))
    assert used == [hit] and line in block and "twenty" not in block
