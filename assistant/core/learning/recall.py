"""Hybrid recall: dense vectors and BM25 over memories, past messages and documents, fused.

The query is embedded once per turn by the caller and passed in. Dense and keyword
candidates are fused with reciprocal rank fusion (robust to the two scores' different
scales), nudged by recency, and deduplicated by text.
"""

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from assistant.core.ports.store import IndexedMessage, MemoryStore, Scored
from assistant.core.records import Memory, utc_now

# Reciprocal-rank fusion's damping. 60 suits deep lists; ours hold 2k candidates each,
# and a smaller k lets the top of each list count for more. On LoCoMo-dev (bench_locomo,
# 760 questions) evidence recall@10 went from 0.6405 at 60 to 0.6448 at 30. Only the
# fusion was tuned, never anything about the question text.
RRF_K = 30
RECENCY_WEIGHT = 0.002
RECENCY_HALF_LIFE_DAYS = 90.0
# Below these cosine similarities a dense-only candidate is noise, not a memory.
MIN_MEMORY_SIMILARITY = 0.30
MIN_MESSAGE_SIMILARITY = 0.35

HitKind = Literal["memory", "message", "document"]


@dataclass(frozen=True)
class Hit:
    """One recalled item with its fused score."""

    kind: HitKind
    id: str
    text: str
    score: float
    created_at: datetime
    source_ids: tuple[str, ...] = ()
    conversation_id: str = ""
    memory_kind: str = ""
    similarity: float = 0.0
    keyword: bool = False
    # Documents: the file, the chunk's heading trail and how the model should cite it.
    path: str = ""
    heading: str = ""
    citation: str = ""

    def as_dict(self) -> dict[str, object]:
        found: dict[str, object] = {
            "kind": self.memory_kind or self.kind,
            "id": self.id,
            "text": self.text,
            "score": round(self.score, 5),
            "created_at": self.created_at.isoformat(),
            "source_ids": list(self.source_ids),
            "conversation_id": self.conversation_id,
        }
        if self.kind == "document":
            found |= {"path": self.path, "heading": self.heading, "citation": self.citation}
        return found


@dataclass
class _Fused:
    hit: Hit
    score: float = 0.0
    similarity: float = 0.0
    keyword: bool = False
    ranks: list[int] = field(default_factory=list)


def keyword_query(text: str) -> str:
    """The words of `text`, safe for the full-text query parser."""
    return " ".join(re.findall(r"\w+", text))[:500]


def _memory_hit(memory: Memory) -> Hit:
    return Hit(
        "memory",
        memory.id,
        memory.text,
        0.0,
        memory.created_at,
        memory.source_ids,
        memory_kind=memory.kind,
    )


def _message_hit(message: IndexedMessage) -> Hit:
    return Hit(
        "message",
        message.id,
        message.text,
        0.0,
        message.created_at,
        (message.id,),
        conversation_id=message.conversation_id,
    )


def _recency(created_at: datetime, now: datetime) -> float:
    age_days = max(0.0, (now - created_at).total_seconds() / 86400)
    return float(RECENCY_WEIGHT * 0.5 ** (age_days / RECENCY_HALF_LIFE_DAYS))


def fuse(
    dense: Sequence[Scored[Hit]], keyword: Sequence[Scored[Hit]], now: datetime | None = None
) -> list[Hit]:
    """Reciprocal-rank fusion of two ranked lists, plus a small recency bonus."""
    now = now or utc_now()
    by_id: dict[str, _Fused] = {}
    for rank, scored in enumerate(dense):
        entry = by_id.setdefault(scored.item.id, _Fused(scored.item))
        entry.score += 1.0 / (RRF_K + rank + 1)
        entry.similarity = scored.score
    for rank, scored in enumerate(keyword):
        entry = by_id.setdefault(scored.item.id, _Fused(scored.item))
        entry.score += 1.0 / (RRF_K + rank + 1)
        entry.keyword = True
    hits: list[Hit] = []
    seen_text: set[str] = set()
    ranked = sorted(
        by_id.values(), key=lambda e: e.score + _recency(e.hit.created_at, now), reverse=True
    )
    for entry in ranked:
        norm = " ".join(entry.hit.text.lower().split())
        if norm in seen_text:
            continue
        seen_text.add(norm)
        hits.append(
            replace(
                entry.hit,
                score=entry.score + _recency(entry.hit.created_at, now),
                similarity=entry.similarity,
                keyword=entry.keyword,
            )
        )
    return hits


class Recaller:
    """Searches memories and the message index for one query vector and text."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def memories(self, vector: Sequence[float], text: str, k: int) -> list[Hit]:
        dense = [
            Scored(_memory_hit(s.item), s.score) for s in self.store.nearest_memories(vector, 2 * k)
        ]
        words = keyword_query(text)
        keyword = (
            [
                Scored(_memory_hit(s.item), s.score)
                for s in self.store.keyword_memories(words, 2 * k)
            ]
            if words
            else []
        )
        return fuse(dense, keyword)[:k]

    def messages(
        self,
        vector: Sequence[float],
        text: str,
        k: int,
        exclude_conversation: str | None = None,
        skip: Collection[str] = frozenset(),
    ) -> list[Hit]:
        """The k best messages, leaving out the ids in `skip` before the cut."""
        dense = [
            Scored(_message_hit(s.item), s.score)
            for s in self.store.nearest_messages(vector, 2 * k, exclude_conversation)
            if s.item.id not in skip
        ]
        words = keyword_query(text)
        keyword = (
            [
                Scored(_message_hit(s.item), s.score)
                for s in self.store.keyword_messages(words, 2 * k, exclude_conversation)
                if s.item.id not in skip
            ]
            if words
            else []
        )
        return fuse(dense, keyword)[:k]

    def search(
        self,
        vector: Sequence[float],
        text: str,
        k: int,
        exclude_conversation: str | None = None,
        skip: Collection[str] = frozenset(),
    ) -> list[Hit]:
        """Memories and messages in one ranking (for `assistant recall`)."""
        messages = self.messages(vector, text, k, exclude_conversation, skip)
        hits = self.memories(vector, text, k) + messages
        return sorted(hits, key=lambda h: h.score, reverse=True)[:k]


def relevant(hits: Sequence[Hit], min_similarity: float) -> list[Hit]:
    """Hits worth putting in a prompt: a keyword match or a close enough meaning."""
    return [
        h for h in hits if h.similarity >= min_similarity or (h.keyword and h.similarity > 0.15)
    ]
