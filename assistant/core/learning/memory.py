"""The memory book: store what the user taught, without junk and without losing history.

Every candidate goes through the same gate:
- a near-duplicate of an active memory (same kind, cosine >= DUPLICATE, and the same
  numbers: embeddings barely tell "fact 1" from "fact 2" or 3pm from 4pm) only adds
  its source message to the existing memory;
- a memory for the same slot (`key`, or a key of the same choice: `ONE_CHOICE`), or a
  negation ("I no longer…") close in meaning to an active memory, *supersedes* it: the
  old one stays on disk, marked and linked, and can be restored;
- an open-ended fact (`said:` or `has:` slot) that belongs with an active one (cosine >= MERGE and
  a shared content word: "The user has a dog named Max" and, sessions later, "The user
  got a third dog, a beagle named Bailey") is *merged* into it: one memory with both
  facts and all their sources supersedes the old one, which stays restorable;
- otherwise it is added.
Every change records an event with what changed, when, why and from which messages.
"""

import re
from collections.abc import Sequence
from dataclasses import replace

from assistant.core.errors import InputError
from assistant.core.learning.corrections import correction_memory_text
from assistant.core.learning.extract import RULE_CONFIDENCE, Candidate, slot
from assistant.core.learning.speech import NATURAL_PREFIX, anchors
from assistant.core.ports.embedder import Embedder
from assistant.core.ports.store import MemoryStore
from assistant.core.records import Memory, MemoryEvent, MemoryKind, new_id, utc_now

DUPLICATE = 0.92
# Two facts this close that share a content word are about the same thing (the user's
# dogs at 0.50-0.61, dated or not; a course and its recital at 0.75); unrelated facts
# score about 0.2.
MERGE = 0.5
# Open-ended facts merge; a slot that holds one value ("location") is superseded instead.
MERGEABLE = (NATURAL_PREFIX, "has:")
MERGED_MAX_CHARS = 400
NEGATION_MATCH = 0.55
# Two corrections whose questions are this close answer the same question: the newer
# one supersedes the older ("a correction of a correction").
SAME_QUESTION = 0.85
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
# Keys that hold one choice between them, however it was learned: "The user uses
# imperial units." (said, key `units`) replaces the feedback rule "Use metric units."
# (`rule:units:metric`), and "Give fuller answers" replaces "Keep answers short". A key
# ending in ":" stands for every key it starts.
ONE_CHOICE: tuple[tuple[str, ...], ...] = (
    ("units", "rule:units:"),
    ("rule:length:",),
    ("rule:tone:",),
)


def _in(key: str, family: tuple[str, ...]) -> bool:
    return any(key.startswith(k) if k.endswith(":") else key == k for k in family)


def same_choice(key: str, other: str) -> bool:
    """Whether two keys hold the same choice (the same slot, or one of ONE_CHOICE)."""
    return key == other or any(_in(key, f) and _in(other, f) for f in ONE_CHOICE)


def restates(text: str, other: str) -> bool:
    """Whether two texts close in meaning may be one fact: they name the same numbers.

    all-MiniLM puts "Writer A fact number 1" and "... number 2" at cosine 0.99, and
    "Meeting at 3pm" and "at 4pm" at 0.96: above DUPLICATE, yet different facts.
    """
    return sorted(_NUMBER.findall(text)) == sorted(_NUMBER.findall(other))


class MemoryBook:
    """Adds, supersedes, restores and lists memories over a MemoryStore."""

    def __init__(self, store: MemoryStore, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder

    def _event(
        self, memory_id: str, action: str, reason: str, sources: Sequence[str], detail: str = ""
    ) -> None:
        self.store.record_event(
            MemoryEvent(new_id(), memory_id, action, utc_now(), reason, tuple(sources), detail)
        )

    def learn(self, candidates: Sequence[Candidate], source_ids: Sequence[str]) -> list[Memory]:
        """Store candidates from one message; returns memories created or superseded."""
        if not candidates:
            return []
        missing = [c.text for c in candidates if not c.vector]
        fresh = iter(self.embedder.embed(missing) if missing else [])
        vectors = [list(c.vector) if c.vector else next(fresh) for c in candidates]
        changed: list[Memory] = []
        for candidate, vector in zip(candidates, vectors, strict=True):
            changed.extend(self._learn_one(candidate, vector, tuple(source_ids)))
        return changed

    def _learn_one(
        self, candidate: Candidate, vector: list[float], sources: tuple[str, ...]
    ) -> list[Memory]:
        near = self.store.nearest_memories(vector, 5)
        for hit in near:
            same = hit.item.kind == candidate.kind or hit.item.key == candidate.key
            if same and hit.score >= DUPLICATE and restates(candidate.text, hit.item.text):
                kept = replace(
                    hit.item,
                    source_ids=tuple(dict.fromkeys((*hit.item.source_ids, *sources))),
                    updated_at=utc_now(),
                    confidence=min(1.0, hit.item.confidence + 0.05),
                )
                self.store.update_memory(kept)
                self._event(kept.id, "reinforce", "stated again", sources)
                return []
        if candidate.key.startswith(MERGEABLE):
            for hit in near:
                if self._belongs_with(candidate, hit.item, hit.score):
                    return self._merge(candidate, hit.item, sources)
        old = {m.id: m for m in self._holding(candidate.key)}
        if candidate.negates and not old:
            old = {h.item.id: h.item for h in near[:1] if h.score >= NEGATION_MATCH}
        return self._add(candidate, vector, sources, old, RULE_CONFIDENCE)

    def _holding(self, key: str) -> list[Memory]:
        """The active memories that hold the choice `key` makes."""
        if not any(_in(key, family) for family in ONE_CHOICE):
            return self.store.active_with_key(key)
        return [m for m in self.active() if same_choice(key, m.key)]

    @staticmethod
    def _belongs_with(candidate: Candidate, memory: Memory, score: float) -> bool:
        return (
            memory.key.startswith(MERGEABLE)
            and memory.key != candidate.key
            and score >= MERGE
            and len(memory.text) + len(candidate.text) < MERGED_MAX_CHARS
            and bool(set(anchors(memory.text)) & set(anchors(candidate.text)))
        )

    def _merge(
        self, candidate: Candidate, memory: Memory, sources: tuple[str, ...]
    ) -> list[Memory]:
        """One memory holding both facts and all their sources; it supersedes `memory`."""
        text = f"{memory.text} {candidate.text}"
        vector = self.embedder.embed([text])[0]
        merged = Candidate(candidate.kind, text, memory.key)
        every = tuple(dict.fromkeys((*memory.source_ids, *sources)))
        return self._add(merged, vector, every, {memory.id: memory}, RULE_CONFIDENCE, merged=True)

    def _add(
        self,
        candidate: Candidate,
        vector: list[float],
        sources: tuple[str, ...],
        old: dict[str, Memory],
        confidence: float,
        *,
        merged: bool = False,
    ) -> list[Memory]:
        """Add a memory and supersede `old` by it (`merged`: it holds their facts too)."""
        now = utc_now()
        memory = Memory(
            id=new_id(),
            kind=candidate.kind,
            text=candidate.text,
            key=candidate.key,
            source_ids=sources,
            created_at=now,
            updated_at=now,
            supersedes=next(iter(old), ""),
            confidence=confidence,
        )
        self.store.add_memory(memory, vector)
        if merged:
            why = "merged with a related memory"
        elif memory.kind == "correction":
            why = "a correction by the user"
        elif sources:
            why = "extracted from the user's message"
        else:
            why = "added by the user"
        self._event(memory.id, "add", why, sources, memory.text)
        changed = [memory]
        for previous in old.values():
            superseded = replace(
                previous, status="superseded", superseded_by=memory.id, updated_at=now
            )
            self.store.update_memory(superseded)
            action = "merge" if merged else "supersede"
            reason = f"merged into: {memory.text}" if merged else f"replaced by: {memory.text}"
            self._event(previous.id, action, reason, sources, memory.id)
            changed.append(superseded)
        return changed

    def add_manual(self, text: str, kind: MemoryKind = "fact") -> Memory:
        """Remember a text the user typed as a memory (`assistant memory add`)."""
        text = " ".join(text.split())
        if not text:
            raise InputError("nothing to remember: the text is empty", "pass the text to remember")
        candidate = Candidate(kind, text, f"note:{slot(text, 6)}")
        changed = self.learn([candidate], ())
        return (
            changed[0]
            if changed
            else self.store.nearest_memories(self.embedder.embed([text])[0], 1)[0].item
        )

    def edit(self, memory_id: str, text: str) -> Memory:
        """Reword a memory; it keeps its id, slot, history and provenance.

        A correction stays embedded by its question (that is how paraphrases of the
        question find it); any other memory is embedded again by its new text.
        """
        text = " ".join(text.split())
        if not text:
            raise InputError("a memory cannot be empty", "delete it instead")
        memory = self.store.get_memory(memory_id)
        if text == memory.text:
            return memory
        edited = replace(memory, text=text, updated_at=utc_now())
        vector = None if memory.kind == "correction" else self.embedder.embed([text])[0]
        self.store.update_memory(edited, vector)
        self._event(memory.id, "edit", "edited by the user", ())
        return edited

    def restore(self, memory_id: str) -> Memory:
        """Make a superseded memory active again; whatever replaced it is superseded."""
        memory = self.store.get_memory(memory_id)
        if memory.status == "active":
            return memory
        now = utc_now()
        for current in self.store.active_with_key(memory.key):
            self.store.update_memory(
                replace(current, status="superseded", superseded_by=memory.id, updated_at=now)
            )
            self._event(current.id, "supersede", "an older memory was restored", ())
        restored = replace(memory, status="active", superseded_by="", updated_at=now)
        self.store.update_memory(restored)
        self._event(memory.id, "restore", "restored by the user", ())
        return restored

    def add_correction(
        self, question: str, wrong: str, right: str, sources: Sequence[str]
    ) -> list[Memory]:
        """Store "asked Q, you said X, the user corrected it to Y"; returns what changed.

        The memory is embedded by its *question*, so a paraphrase of the question finds
        it. An active correction of the same question is superseded, never deleted.
        """
        right = " ".join(right.split())
        if not right:
            raise InputError("the correction is empty", "give the right answer")
        vector = self.embedder.embed([question])[0]
        key = f"correction:{slot(question, 8)}"
        old = {m.id: m for m in self.store.active_with_key(key)}
        for hit in self.store.nearest_memories(vector, 5):
            if hit.item.kind == "correction" and hit.score >= SAME_QUESTION:
                old.setdefault(hit.item.id, hit.item)
        text = correction_memory_text(question, wrong, right)
        return self._add(Candidate("correction", text, key), vector, tuple(sources), old, 1.0)

    def propose_rule(self, text: str, key: str, sources: Sequence[str], active: bool) -> Memory:
        """A rule learned from feedback: `proposed` until the user keeps it (or `active`)."""
        vector = self.embedder.embed([text])[0]
        now = utc_now()
        memory = Memory(
            new_id(), "rule", text, key, tuple(sources), now, now, "proposed", confidence=0.8
        )
        self.store.add_memory(memory, vector)
        self._event(memory.id, "propose", "repeated negative feedback", sources, text)
        return self.keep_rule(memory.id, why="applied at learning level full") if active else memory

    def keep_rule(
        self, memory_id: str, text: str | None = None, why: str = "confirmed by the user"
    ) -> Memory:
        """Apply a proposed rule (optionally reworded); an active rule with its key yields."""
        memory = self.store.get_memory(memory_id)
        if memory.kind != "rule":
            raise InputError(f"memory {memory_id} is a {memory.kind}, not a rule")
        now = utc_now()
        vector = None
        if text is not None and " ".join(text.split()) != memory.text:
            memory = replace(memory, text=" ".join(text.split()))
            vector = self.embedder.embed([memory.text])[0]
        for current in self._holding(memory.key):
            if current.id != memory.id:
                self.store.update_memory(
                    replace(current, status="superseded", superseded_by=memory.id, updated_at=now)
                )
        kept = replace(memory, status="active", updated_at=now)
        self.store.update_memory(kept, vector)
        self._event(kept.id, "keep", why, (), kept.text)
        return kept

    def discard_rule(self, memory_id: str) -> Memory:
        """Decline a proposed rule; it is kept as `discarded` so it is not proposed again."""
        memory = self.store.get_memory(memory_id)
        discarded = replace(memory, status="discarded", updated_at=utc_now())
        self.store.update_memory(discarded)
        self._event(memory.id, "discard", "declined by the user", ())
        return discarded

    def active(self, kind: MemoryKind | None = None) -> list[Memory]:
        return self.store.list_memories(("active",), kind)
