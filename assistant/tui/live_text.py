"""Streaming text whose cost per update does not grow with its length.

A Static re-wraps and re-renders all of its text on every update, and a change of
height re-lays out the whole screen. While a reply streams, that work runs on the UI
thread and takes a core from generation, which on a 2-core machine slows every token
(bench_streaming). LiveText only appends: rows that are full never change, so each
update re-wraps the last row and the new text, repaints those rows, and asks for a
layout pass only when its height must grow. A layout pass moves and repaints the whole
chat, and one per new row was two thirds of the UI thread's work while a reply streamed
(bench_streaming). So the height grows GROW_ROWS rows at a time, and it can hold
`min_rows` from the start (the app reserves the screen below the user's message), which
makes a reply that fits re-lay out nothing while it streams.
"""

import re

from rich.cells import cell_len, get_character_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
from textual.reactive import Reactive
from textual.strip import Strip
from textual.widget import Widget

_CHUNK = re.compile(r"\S+\s*|\s+")
GROW_ROWS = 6


def wrap_rows(line: str, width: int) -> list[int]:
    """Where each row of one line (no newlines) starts, greedily wrapped by words.

    Trailing spaces hang past the edge instead of starting a row; a word wider than a
    row is folded. Greedy wrapping from any row start gives the rows the whole line
    would have, which is what lets LiveText re-wrap only its last row.
    """
    starts = [0]
    used = 0
    for match in _CHUNK.finditer(line):
        chunk = match.group()
        word = chunk.rstrip()
        if used and used + cell_len(word) > width:
            starts.append(match.start())
            used = 0
        if cell_len(word) <= width - used:
            used += cell_len(chunk)
            continue
        for offset, char in enumerate(word, match.start()):  # fold a long word
            size = get_character_cell_size(char)
            if used + size > width and used:
                starts.append(offset)
                used = 0
            used += size
        used += len(chunk) - len(word)
    return starts


def _height(rows: int, min_rows: int = 0) -> int:
    """The rows LiveText takes for `rows` rows of text: `min_rows` while they fit, then
    whole steps of GROW_ROWS past it."""
    return min_rows + -(-max(rows - min_rows, 0) // GROW_ROWS) * GROW_ROWS


class LiveText(Widget):
    """Plain text that grows at the end: the view of a reply while it streams."""

    DEFAULT_CSS = "LiveText { height: auto; }"
    # Textual re-lays out the screen a second time when a widget's virtual size changes;
    # for a widget that does not scroll, the first pass already placed everything.
    virtual_size = Reactive(Size(0, 0), layout=False)

    def __init__(self, *, classes: str = "") -> None:
        super().__init__(classes=classes)
        self.text = ""
        self._width = 0
        self._style = Style()
        # Each row as (start, end) offsets into text; only the last can still change.
        self._rows: list[tuple[int, int]] = [(0, 0)]
        self.min_rows = 0

    def reserve(self, rows: int) -> None:
        """Take at least `rows` rows from now on, whatever the text (0: only the text's)."""
        if rows != self.min_rows:
            self.min_rows = max(rows, 0)
            self.refresh(layout=True)

    def clear(self) -> None:
        """Forget the text."""
        self.text = ""
        self._rows = [(0, 0)]
        self.refresh(layout=True)

    def append(self, more: str) -> None:
        """Add text at the end, repainting only the rows it touches."""
        if not more:
            return
        count = len(self._rows)
        self.text += more
        if not self._width:  # not laid out yet: the first layout wraps it all
            self.refresh(layout=True)
            return
        first = count - 1
        self._rows[first:] = self._wrap(self._rows[first][0])
        if _height(len(self._rows), self.min_rows) != _height(count, self.min_rows):
            self.refresh(layout=True)
        else:
            self.refresh(Region(0, first, self._width, len(self._rows) - first))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if width != self._width:
            self._width = width
            self._rows = self._wrap(0)
        return _height(len(self._rows), self.min_rows)

    def render_lines(self, crop: Region) -> list[Strip]:
        # The style walks every ancestor: once per paint, not once per row, which was
        # a tenth of the UI thread's time while a reply streamed.
        self._style = self.rich_style
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self._width
        style = self._style
        if y >= len(self._rows):
            return Strip.blank(width, style)
        start, end = self._rows[y]
        return Strip([Segment(self.text[start:end], style)]).crop_extend(0, width, style)

    def _wrap(self, start: int) -> list[tuple[int, int]]:
        """The rows of text from `start` (a row start) to the end."""
        rows: list[tuple[int, int]] = []
        for line in self.text[start:].split("\n"):
            starts = wrap_rows(line, max(self._width, 1))
            ends = [*starts[1:], len(line)]
            rows += [(start + a, start + b) for a, b in zip(starts, ends, strict=True)]
            start += len(line) + 1
        return rows
