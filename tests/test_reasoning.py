"""Reasoning models' thinking: split from the answer as it streams (assistant/core/reasoning.py),
and kept out of everything built from the reply's text."""

import itertools

import pytest

from assistant.core.reasoning import ReasoningSplitter, split_reasoning

REPLY = "<think>\nThe user asks 2+2. a<b holds.\n</think>\n\nThe answer is 4."


def streamed(text: str, cuts: list[int], **kw: bool) -> tuple[str, str]:
    """Feed `text` cut at `cuts`; the answer and reasoning as streamed."""
    splitter = ReasoningSplitter(**kw)
    parts = []
    bounds = [0, *cuts, len(text)]
    for start, end in itertools.pairwise(bounds):
        parts += splitter.feed(text[start:end])
    parts += splitter.close()
    answer = "".join(p.text for p in parts if p.kind == "answer")
    reasoning = "".join(p.text for p in parts if p.kind == "reasoning")
    return answer.strip(), reasoning.strip()


def test_a_whole_reply_splits_into_answer_and_reasoning() -> None:
    assert split_reasoning(REPLY) == ("The answer is 4.", "The user asks 2+2. a<b holds.")


def test_every_way_of_cutting_the_stream_gives_the_same_split() -> None:
    """A marker can arrive cut anywhere ("<thi" + "nk>"): two cuts at every position."""
    expected = split_reasoning(REPLY)
    for first in range(1, len(REPLY)):
        for second in range(first, len(REPLY), 3):
            assert streamed(REPLY, [first, second]) == expected, (first, second)


def test_only_a_possible_marker_start_is_held_back() -> None:
    splitter = ReasoningSplitter()
    assert [p.text for p in splitter.feed("Hello there.\n<th")] == ["Hello there.\n"]
    parts = splitter.feed("ink>hmm")
    assert [(p.kind, p.text) for p in parts] == [("reasoning", "hmm")]
    assert splitter.in_reasoning
    assert [(p.kind, p.text) for p in splitter.feed("</th")] == []
    assert [(p.kind, p.text) for p in splitter.feed("ink>Done")] == [("answer", "Done")]


def test_a_marker_mentioned_inside_a_line_is_answer_text() -> None:
    text = "Wrap it in a <think> tag, like <think>x</think>."
    assert split_reasoning(text) == (text, "")
    assert streamed(text, [14, 16, 33]) == (text, "")


def test_an_unfinished_block_stays_reasoning_and_a_cut_marker_is_text() -> None:
    assert split_reasoning("<think>still going") == ("", "still going")
    assert split_reasoning("Answer.\n<thi") == ("Answer.\n<thi", "")


@pytest.mark.parametrize(
    ("opening", "closing"),
    [("<thinking>", "</thinking>"), ("[THINK]", "[/THINK]"), ("◁think▷", "◁/think▷")],
)
def test_other_models_markers(opening: str, closing: str) -> None:
    text = f"{opening}plan it{closing}\nDone."
    assert split_reasoning(text) == ("Done.", "plan it")
    assert streamed(text, [2, 5, len(opening) + 9]) == ("Done.", "plan it")


def test_a_template_that_opens_the_block_in_the_prompt() -> None:
    """DeepSeek-R1's template ends the prompt with `<think>`: only the close shows."""
    assert split_reasoning("weighing it</think>\nYes.", start_in_reasoning=True) == (
        "Yes.",
        "weighing it",
    )


def test_several_blocks_and_indented_markers() -> None:
    text = "<think>one</think>\nFirst.\n  <think>two</think>\nSecond."
    assert split_reasoning(text) == ("First.\n  Second.", "onetwo")
