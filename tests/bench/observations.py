"""LoCoMo's observations as the reference for extraction, shared by the extraction
benchmark and the salience scorer's training script.

An observation names the speaker ("Caroline went to…"); a memory says "the user". The
speaker's name is rewritten to "the user" before the two are compared, so the cosine
measures meaning, not names. A memory *matches* an observation when their cosine is at
least MATCH and they share a content word (stemmed), which keeps a merely on-topic
sentence ("the user loves painting" against "the user painted a sunset") from counting.

Why MATCH = 0.5, measured on the dev data (bench_extraction reports it every run): the
best-matching sentence of an observation's own evidence turn reaches 0.5 for about 91%
of observations, while a sentence of the same person from another session reaches it
about 2% of the time.
"""

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import snowballstemmer

from assistant.core.learning.speech import anchors
from tests.bench.report import DATA

MATCH = 0.5
# The speech gate's classes were written reading TUNE's conversations; HELD's were left
# unread, so a gap between the two splits is what the gate overfits.
TUNE = ("locomo-26", "locomo-30", "locomo-41")
HELD = ("locomo-42", "locomo-43")
_STEM = snowballstemmer.stemmer("english")


@dataclass(frozen=True)
class Turn:
    id: str
    source: str  # "locomo-26"
    session: str  # "locomo-26-s3"
    content: str
    when: datetime


@dataclass(frozen=True)
class Observation:
    source: str
    session: str
    text: str  # with the speaker's name rewritten as "the user"
    evidence: tuple[str, ...]


def _about_the_user(text: str, name: str) -> str:
    text = re.sub(rf"\b{re.escape(name)}'s\b", "the user's", text)
    return re.sub(rf"\b{re.escape(name)}\b", "the user", text)


def load(data: Path = DATA) -> tuple[list[Turn], list[Observation]]:
    """The user's turns and the observations about the user, in file order."""
    rows = [json.loads(line) for line in (data / "chats.jsonl").read_text().splitlines()]
    speakers: dict[str, str] = {}
    turns = []
    for row in rows:
        if row["role"] != "user":
            continue
        session = row["conversation_id"]
        source = session.rsplit("-s", 1)[0]
        speakers[source] = row["speaker"]
        turns.append(
            Turn(
                row["id"],
                source,
                session,
                row["content"],
                datetime.fromisoformat(row["created_at"]),
            )
        )
    observations = []
    for line in (data / "observations.jsonl").read_text().splitlines():
        o = json.loads(line)
        session = f"{o['source']}-s{o['session']}"
        text = _about_the_user(o["text"], speakers[o["source"]])
        observations.append(Observation(o["source"], session, text, tuple(o["evidence"])))
    return turns, observations


def stems(text: str) -> set[str]:
    return {_STEM.stemWord(w) for w in anchors(text)}


@dataclass
class Matcher:
    """Which memories match which observations (cosine >= MATCH and a shared stem)."""

    observations: list[Observation]
    vectors: np.ndarray  # one row per observation

    def __post_init__(self) -> None:
        self._stems = [stems(o.text) for o in self.observations]
        self.by_session: dict[str, list[int]] = defaultdict(list)
        for i, o in enumerate(self.observations):
            self.by_session[o.session].append(i)

    def matches(self, text: str, vector: np.ndarray, among: list[int]) -> list[int]:
        """The observations among `among` that a memory matches."""
        if not among:
            return []
        cos = self.vectors[among] @ vector
        words = stems(text)
        return [i for i, c in zip(among, cos, strict=True) if c >= MATCH and words & self._stems[i]]
