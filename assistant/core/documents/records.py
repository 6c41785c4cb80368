"""What the document index keeps: indexed roots, files and their chunks, and reports."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

RootKind = Literal["root", "exclude"]


@dataclass(frozen=True)
class DocRoot:
    """A file or folder the user added (`root`), or a path removed from inside one."""

    path: str
    kind: RootKind
    added_at: datetime
    synced_at: datetime | None = None


@dataclass(frozen=True)
class DocFile:
    """One indexed file. `file_id` names the chunks of the indexing run that is live.

    The file row is written after all its chunks, so a file is visible whole or not
    at all: chunks whose `file_id` no file row names are leftovers of an interrupted
    run, never searched, and dropped by the next add or sync.
    """

    path: str
    root: str
    file_id: str
    kind: str
    size: int
    mtime_ns: int
    sha256: str
    chunks: int
    indexed_at: datetime


@dataclass(frozen=True)
class DocChunk:
    """A piece of a file: its text, heading trail and character offsets in the text."""

    id: str
    file_id: str
    path: str
    heading: str
    start: int
    end: int
    text: str

    @property
    def title(self) -> str:
        """The innermost heading ("" when the chunk sits before any heading)."""
        return self.heading.rsplit(" > ", 1)[-1]


@dataclass(frozen=True)
class Skip:
    """A path left out, and why (unreadable, binary, too large, a symlink loop…)."""

    path: str
    reason: str


@dataclass
class IndexReport:
    """What one add or sync did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks: int = 0
    bytes: int = 0
    # Files opened to hash them: an unchanged file (same mtime and size) is never read.
    hashed: int = 0
    seconds: float = 0.0
    skipped: list[Skip] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "chunks": self.chunks,
            "bytes": self.bytes,
            "hashed": self.hashed,
            "seconds": round(self.seconds, 3),
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
        }
