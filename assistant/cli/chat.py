"""`assistant chat`: one turn, streamed to stdout, then the work after it."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import TYPE_CHECKING, TextIO

from assistant.cli.shell import EXIT_INTERRUPTED, progress_printer, setup
from assistant.core.errors import InputError
from assistant.core.records import Memory

if TYPE_CHECKING:
    from assistant.core.events import TurnFinished


def read_prompt(prompt: str | None) -> str:
    """The prompt argument, or stdin when it is missing or `-`; must be UTF-8 text."""
    if prompt not in (None, "-"):
        return str(prompt)
    if sys.stdin is None or sys.stdin.isatty():
        raise InputError("no prompt given", 'pass one (`assistant chat "hello"`) or pipe text in')
    raw = sys.stdin.buffer.read()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("stdin is not UTF-8 text", "pipe text, not binary data") from None


class ReplyPrinter:
    """Writes the reply as it streams, and takes back a withdrawn first try.

    On a terminal the withdrawn words ("I'm a", before a recitation of the instructions)
    are erased, so only the reply that counts is left; a pipe cannot take text back, so
    there the second try starts on a line of its own.
    """

    def __init__(self, out: TextIO, terminal: bool) -> None:
        self._out = out
        self._terminal = terminal
        self._written = ""

    def delta(self, text: str) -> None:
        self._out.write(text)
        self._out.flush()
        self._written += text

    def restart(self) -> None:
        if not self._written:
            return
        if self._terminal:
            lines = self._written.count("\n")
            # To the start of the first line written, then clear to the end of the screen.
            self._out.write((f"\033[{lines}F" if lines else "\r") + "\033[J")
        else:
            self._out.write("\n")
        self._out.flush()
        self._written = ""


def _chat(args: argparse.Namespace, model: str | None) -> int:
    from assistant.compose import build_assistant
    from assistant.core.service import (
        ReasoningDelta,
        ReplyDelta,
        ReplyRestarted,
        TurnFinished,
        clean_input,
    )

    text = clean_input(read_prompt(args.prompt))
    env = setup(model)
    assistant = build_assistant(env)
    if args.conversation:
        assistant.conversation(args.conversation)
    show_progress = sys.stderr.isatty() and not args.json
    level = assistant.level(args.learning)
    assistant.load(
        progress_printer(not show_progress), embedder=level != "off" and not args.incognito
    )
    if show_progress:
        print("\r\033[K", end="", file=sys.stderr)

    def stop_on_sigint(_sig: int, _frame: FrameType | None) -> None:
        # First Ctrl+C stops the reply (which is still saved); a second one aborts.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        assistant.stop()

    previous = signal.signal(signal.SIGINT, stop_on_sigint)
    finished: TurnFinished | None = None
    printer = ReplyPrinter(sys.stdout, sys.stdout.isatty())
    try:
        turn = assistant.send(
            text, args.conversation, incognito=args.incognito, learning=args.learning
        )
        for event in turn:
            if isinstance(event, ReplyDelta) and not args.json:
                printer.delta(event.text)
            elif isinstance(event, ReplyRestarted) and not args.json:
                printer.restart()
            elif isinstance(event, ReasoningDelta) and show_progress:
                # Thinking is for the eyes only: dimmed, on the terminal, never on stdout.
                sys.stderr.write(f"\033[2m{event.text}\033[0m")
                sys.stderr.flush()
            elif isinstance(event, TurnFinished):
                finished = event
    finally:
        signal.signal(signal.SIGINT, previous)
    assert finished is not None
    after = assistant.after_turn(finished)  # the one-shot CLI waits for its own learning
    if after.exported is not None:
        print(f"exported a dataset to {after.exported.path}", file=sys.stderr)
    learned = after.learned
    if args.json:
        print(json.dumps(_turn_json(finished, learned)))
    else:
        print()
        for memory in learned:
            if memory.status == "active":
                print(f"(learned: {memory.text})", file=sys.stderr)
        if finished.offer is not None:
            print(
                "(this looks like a correction of the last answer; to record it: "
                f'assistant correct {finished.offer.reply_id} "{finished.offer.right}")',
                file=sys.stderr,
            )
    if finished.usage.stopped:
        print("(stopped)", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


def _turn_json(turn: TurnFinished, learned: Sequence[Memory]) -> dict[str, object]:
    from assistant.core.service import reasoning_of

    return {
        "reply": turn.reply.content,
        "reasoning": reasoning_of(turn.reply),
        "conversation_id": turn.conversation.id,
        "message_ids": {
            "user": turn.user_message.id if turn.user_message else None,
            "assistant": turn.reply.id,
        },
        "usage": turn.usage.as_dict(),
        # "loop", "echo" or "brevity" when the app ended the reply (core/reply_shape.py)
        "ended_by": turn.ended_by,
        # quantities given a conversion into the user's units (core/reply_units.py)
        "converted_units": turn.converted_units,
        "context": turn.context.as_dict(),
        "learned": [
            {"id": m.id, "kind": m.kind, "text": m.text, "status": m.status} for m in learned
        ],
        "learning": turn.learning,
        "correction_offer": turn.offer.as_dict() if turn.offer else None,
    }
