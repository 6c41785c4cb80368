"""Reasoning models' thinking, split from the answer as the reply streams.

Reasoning models (Qwen3, DeepSeek-R1, Magistral…) write their thinking between
markers such as `<think>…</think>` before the answer. That text is for the user to
read if they wish, never the reply: it must not be learned from, exported, or fed
back as history. The core runs every streamed piece through a `ReasoningSplitter`,
which may receive a marker cut across pieces ("<thi" then "nk>"), so it holds back
only the few characters that could still start a marker.

An opening marker counts only at the start of a line: an answer that mentions the
`<think>` tag inline stays whole.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

PartKind = Literal["answer", "reasoning"]
# (opening, closing) pairs that reasoning models and their chat templates use.
MARKERS: tuple[tuple[str, str], ...] = (
    ("<think>", "</think>"),
    ("<thinking>", "</thinking>"),
    ("[THINK]", "[/THINK]"),
    ("<|begin_of_thought|>", "<|end_of_thought|>"),
    ("◁think▷", "◁/think▷"),
)


@dataclass(frozen=True)
class Part:
    """A run of streamed text that is all answer or all reasoning."""

    kind: PartKind
    text: str


class ReasoningSplitter:
    """Feed streamed pieces; get back answer and reasoning parts, markers removed.

    `start_in_reasoning` is for templates that open the thinking block in the prompt
    itself, so the model's output begins inside it and only the closing marker shows.
    """

    def __init__(
        self, markers: Iterable[tuple[str, str]] = MARKERS, start_in_reasoning: bool = False
    ) -> None:
        self._markers = tuple(markers)
        self._pending = ""
        self._closing: str | None = self._markers[0][1] if start_in_reasoning else None
        self._line_start = True

    @property
    def in_reasoning(self) -> bool:
        """Whether the text seen so far ends inside a reasoning block."""
        return self._closing is not None

    def feed(self, piece: str) -> list[Part]:
        """Split one streamed piece; a possible marker's start is held until it is known."""
        self._pending += piece
        parts: list[Part] = []
        while self._pending:
            if self._closing is not None:
                if not self._take_reasoning(parts):
                    break
            elif not self._take_answer(parts):
                break
        return _merged(parts)

    def close(self) -> list[Part]:
        """The text still held back, at the end of the stream (an unfinished marker is
        text after all)."""
        kind: PartKind = "reasoning" if self._closing is not None else "answer"
        rest, self._pending = self._pending, ""
        return [Part(kind, rest)] if rest else []

    def _take_reasoning(self, parts: list[Part]) -> bool:
        """Emit reasoning up to the closing marker; False when more text is needed."""
        assert self._closing is not None
        at = self._pending.find(self._closing)
        if at < 0:
            keep = _partial_suffix(self._pending, (self._closing,))
            cut = len(self._pending) - keep
            if cut:
                parts.append(Part("reasoning", self._pending[:cut]))
                self._pending = self._pending[cut:]
            return False
        if at:
            parts.append(Part("reasoning", self._pending[:at]))
        self._pending = self._pending[at + len(self._closing) :].lstrip("\n")
        self._closing = None
        self._line_start = True
        return True

    def _take_answer(self, parts: list[Part]) -> bool:
        """Emit answer text up to an opening marker at a line start; False when more
        text is needed to know."""
        text = self._pending
        found = self._opening_at(text)
        if found is not None:
            at, opening, closing = found
            if at:
                parts.append(Part("answer", text[:at]))
            self._pending = text[at + len(opening) :]
            self._closing = closing
            return True
        keep = self._held_back(text)
        cut = len(text) - keep
        if cut:
            parts.append(Part("answer", text[:cut]))
            self._line_start = _ends_line(text[:cut], self._line_start)
            self._pending = text[cut:]
        return False

    def _opening_at(self, text: str) -> tuple[int, str, str] | None:
        """The first opening marker that starts a line (spaces before it allowed)."""
        best: tuple[int, str, str] | None = None
        for opening, closing in self._markers:
            start = 0
            while (at := text.find(opening, start)) >= 0:
                if _starts_line(text, at, self._line_start):
                    if best is None or at < best[0]:
                        best = (at, opening, closing)
                    break
                start = at + 1
        return best

    def _held_back(self, text: str) -> int:
        """How many trailing characters could be the start of an opening marker."""
        keep = _partial_suffix(text, tuple(o for o, _ in self._markers))
        if keep and not _starts_line(text, len(text) - keep, self._line_start):
            return 0
        # Trailing spaces on a fresh line could still lead up to a marker.
        stripped = text.rstrip(" \t")
        if not keep and len(stripped) < len(text):
            at = len(stripped)
            if _starts_line(text, at, self._line_start):
                return len(text) - at
        return keep


def split_reasoning(text: str, start_in_reasoning: bool = False) -> tuple[str, str]:
    """A whole reply as (answer, reasoning), each stripped."""
    splitter = ReasoningSplitter(start_in_reasoning=start_in_reasoning)
    parts = splitter.feed(text) + splitter.close()
    answer = "".join(p.text for p in parts if p.kind == "answer")
    reasoning = "".join(p.text for p in parts if p.kind == "reasoning")
    return answer.strip(), reasoning.strip()


def _partial_suffix(text: str, markers: tuple[str, ...]) -> int:
    """The length of the longest end of `text` that is a proper start of a marker."""
    longest = 0
    for marker in markers:
        for size in range(min(len(marker) - 1, len(text)), longest, -1):
            if marker.startswith(text[-size:]):
                longest = size
                break
    return longest


def _starts_line(text: str, at: int, line_start: bool) -> bool:
    """Whether only spaces stand between position `at` and the start of its line."""
    before = text[:at]
    line = before.rsplit("\n", 1)
    if len(line) == 1 and not line_start:
        return False
    return not line[-1].strip(" \t")


def _ends_line(emitted: str, line_start: bool) -> bool:
    """Whether the next text starts a line, after `emitted` (only spaces count as
    still being at the start)."""
    line = emitted.rsplit("\n", 1)
    if len(line) == 1:
        return line_start and not line[0].strip(" \t")
    return not line[-1].strip(" \t")


def _merged(parts: list[Part]) -> list[Part]:
    merged: list[Part] = []
    for part in parts:
        if merged and merged[-1].kind == part.kind:
            merged[-1] = Part(part.kind, merged[-1].text + part.text)
        else:
            merged.append(part)
    return merged
