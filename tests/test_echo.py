"""The echo core (assistant/core/learning/echo.py): spans copied from a turn's own prompt,
degenerate replies, and the learning report's count of them. Pure functions, no IO."""

from datetime import UTC, datetime

from assistant.core import _context_record
from assistant.core.learning.context_block import pack, with_retrieved
from assistant.core.learning.echo import (
    ERASED,
    cut,
    degeneracy,
    echo_spans,
    erase_quotes,
    injected_texts,
    is_degenerate,
    recallable,
)
from assistant.core.learning.loop import RecallContext
from assistant.core.learning.recall import Hit
from assistant.core.learning.report import degenerate_replies, report
from assistant.core.ports.chat import ChatMessage
from assistant.core.records import Message

NOTE = "The spare greenhouse key is hidden under the blue heron statue near the pond."
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _context(note: str, question: str, system: str = "You are a helpful assistant.") -> str:
    """A reply's stored context as `Assistant._reply` records it, with one recalled note."""
    hit = Hit("memory", "m1", note, 0.5, T0, memory_kind="fact")
    block, used = pack([hit], 400, lambda text: len(text.split()))
    context = RecallContext(memories=tuple(used), block=block)
    prompt = [ChatMessage("system", system), ChatMessage("user", with_retrieved(block, question))]
    return _context_record(context, prompt, "memory", 256)


def test_a_verbatim_quote_is_one_span_whatever_the_case_and_punctuation() -> None:
    reply = "Sure! THE SPARE greenhouse key is hidden under the blue-heron statue. Anything else?"
    [span] = echo_spans(reply, [NOTE])
    quoted = "THE SPARE greenhouse key is hidden under the blue-heron statue"
    assert reply[span[0] : span[1]] == quoted
    assert cut(reply, [span], "…") == "Sure! …. Anything else?"


def test_short_shared_phrases_are_not_echoes() -> None:
    assert echo_spans("It is under the statue, I think.", [NOTE]) == []
    assert echo_spans("the blue heron statue", [NOTE]) == []  # four words
    assert echo_spans("under the blue heron statue", [NOTE]) == [(0, 27)]  # five


def test_injected_texts_are_the_notes_and_system_but_not_the_users_words() -> None:
    question = "Where did I hide the spare greenhouse key again, do you remember?"
    texts = injected_texts(_context(NOTE, question))
    assert NOTE in texts
    assert "You are a helpful assistant." in texts
    assert not any(question in t for t in texts)
    # The user's own words may be repeated: they were not injected.
    reply = "You asked where did I hide the spare greenhouse key again: it is in the shed."
    assert recallable(reply, texts) == reply
    assert injected_texts("") == [] and injected_texts("not json") == []


def test_recallable_drops_the_copy_and_keeps_the_answer() -> None:
    texts = injected_texts(_context(NOTE, "Where is the key?"))
    normal = "I would look in the potting shed first, then ask your neighbour."
    assert recallable(normal, texts) == normal  # unchanged, byte for byte
    quoted = f"From your notes: {NOTE} I would also check the potting shed."
    assert recallable(quoted, texts) == "From your notes: . I would also check the potting shed."
    assert recallable(f"{NOTE}", texts) == ""  # nothing of its own left
    assert recallable(f"Yes. {NOTE}", texts) == ""


def test_a_line_said_many_times_or_a_template_marker_is_degenerate() -> None:
    looped = "This is the key to the greenhouse.\n" * 30
    assert degeneracy(looped) == "repeated line"
    assert degeneracy("This is the key. " * 6) == "repeated line"
    assert degeneracy("The key is here.\n<recalled>\nmore") == "template marker"
    assert degeneracy("The key \u2039/recalled\u203a is here.") == "template marker"
    assert degeneracy("Sure<end_of_turn>") == "template marker"
    assert degeneracy("the key is in the shed " * 12) == "repeated words"
    assert recallable(looped, []) == ""


def test_ordinary_replies_are_not_degenerate() -> None:
    assert not is_degenerate("Yes.\nYes.\nYes.\nYes.")  # four is an answer, not a loop
    code = "Try this:\n```python\n" + "x += 1\n" * 12 + "```\nIt counts to twelve."
    assert not is_degenerate(code)
    prose = (
        "Greenhouses trap heat because glass lets visible light in but slows the escape "
        "of infrared. Ventilate on sunny days, water early, and keep the key somewhere "
        "you will remember, such as a hook by the door or a box in the shed."
    )
    assert not is_degenerate(prose)
    assert not is_degenerate("- apples\n- pears\n- plums\n- apples\n- figs")


def test_erase_quotes_marks_what_it_erased() -> None:
    reply = f"It is {NOTE.lower()} Good luck!"
    erased = erase_quotes(reply, [NOTE])
    assert "heron" not in erased and ERASED in erased and erased.endswith("Good luck!")
    assert erase_quotes("A blue heron statue", [NOTE]) == f"A {ERASED}"  # three words go
    assert erase_quotes("The heron statue", [NOTE]) == "The heron statue"
    assert erase_quotes("Nothing to see.", [NOTE]) == "Nothing to see."


def test_the_report_counts_degenerate_replies_by_day() -> None:
    def reply(i: int, text: str, day: int = 0) -> Message:
        return Message(f"r{i}", "c", "assistant", text, T0.replace(day=1 + day))

    replies = [
        reply(1, "Fine, thanks."),
        reply(2, "Loop.\n" * 9),
        reply(3, "<recalled> leaked", day=1),
    ]
    bad = degenerate_replies(replies)
    assert [r.id for r in bad] == ["r2", "r3"]
    data = report("memory", [], [], [], [], degenerate=bad)
    totals = data["totals"]
    assert isinstance(totals, dict) and totals["degenerate_replies"] == 2
    by_day = data["by_day"]
    assert isinstance(by_day, list)
    assert [d["degenerate"] for d in by_day] == [1, 1]
