"""A structure-aware chunker: headings start chunks, paragraphs end them, fed in blocks.

Chunks follow the document's own shape so that a citation `[path#heading]` points at
something a person can find: a new heading always starts a new chunk, and a chunk
ends at a paragraph break once it is long enough. Text is fed a block at a time and
complete chunks come out as soon as they are known, so memory stays bounded by one
chunk whatever the file's size. Offsets count characters of the extracted text.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from assistant.core.documents.readers import Heading, Piece

TARGET_CHARS = 900
MAX_CHARS = 1800
_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


@dataclass(frozen=True)
class Chunk:
    """A chunk before it is stored: text, heading trail and [start, end) offsets."""

    text: str
    trail: tuple[str, ...]
    start: int
    end: int

    @property
    def heading(self) -> str:
        return " > ".join(self.trail)


class Chunker:
    """Turns a stream of text pieces into chunks; `markdown` spots `#` headings."""

    def __init__(
        self, markdown: bool = False, target: int = TARGET_CHARS, limit: int = MAX_CHARS
    ) -> None:
        self.markdown = markdown
        self.target = target
        self.limit = limit
        self._trail: list[tuple[int, str]] = []
        self._lines: list[str] = []
        self._size = 0
        self._start = 0
        self._offset = 0  # characters consumed so far
        self._partial = ""
        self._fenced = False
        self._body = False  # whether the chunk holds more than headings and blank lines

    def feed(self, piece: Piece) -> list[Chunk]:
        """Consume one piece; returns the chunks it completed."""
        out: list[Chunk] = []
        if isinstance(piece, Heading):
            self._flush(out)
            self._enter(piece.level, piece.title)
            return out
        text = self._partial + piece
        lines = text.split("\n")
        self._partial = lines.pop()
        for line in lines:
            self._line(line + "\n", out)
        # A file with no newlines must not grow the partial line without bound.
        while len(self._partial) > self.limit:
            head, self._partial = self._partial[: self.limit], self._partial[self.limit :]
            self._line(head, out)
        return out

    def finish(self) -> list[Chunk]:
        """The last chunk(s), at the end of the file."""
        out: list[Chunk] = []
        if self._partial:
            self._line(self._partial, out)
            self._partial = ""
        self._flush(out)
        return out

    def _enter(self, level: int, title: str) -> None:
        self._trail = [(lvl, t) for lvl, t in self._trail if lvl < level]
        self._trail.append((level, title))

    def _line(self, line: str, out: list[Chunk]) -> None:
        if self.markdown:
            if _FENCE.match(line):
                self._fenced = not self._fenced
            elif not self._fenced and (match := _MD_HEADING.match(line.rstrip("\n"))):
                self._flush(out)
                self._enter(len(match.group(1)), match.group(2).strip())
                self._add(line)
                return
        if not line.strip():
            self._add(line)
            if self._size >= self.target:
                self._flush(out)
            return
        # A heading stays with the text under it, even when that text is one long line.
        if self._size + len(line) > self.limit and self._body:
            self._flush(out)
        self._add(line)
        self._body = True

    def _add(self, line: str) -> None:
        if not self._lines:
            self._start = self._offset
        self._lines.append(line)
        self._size += len(line)
        self._offset += len(line)

    def _flush(self, out: list[Chunk]) -> None:
        if not self._lines:
            return
        text = "".join(self._lines)
        self._lines, self._size, self._body = [], 0, False
        if not text.strip():
            return
        lead = len(text) - len(text.lstrip())
        body = text.strip()
        start = self._start + lead
        trail = tuple(t for _, t in self._trail)
        out.append(Chunk(body, trail, start, start + len(body)))


def chunk_pieces(pieces: Iterable[Piece], markdown: bool = False) -> Iterator[Chunk]:
    """Every chunk of a stream of pieces, as soon as it is complete."""
    chunker = Chunker(markdown)
    for piece in pieces:
        yield from chunker.feed(piece)
    yield from chunker.finish()
