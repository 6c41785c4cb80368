"""Memory administration: recall, list, add, edit, restore and delete for real, with
the user's copies a delete cannot reach (the Copies port) reported back."""

from collections.abc import Sequence
from pathlib import Path

from assistant.core.base import ALL_MEMORY_STATUSES, AssistantBase, clean_input
from assistant.core.errors import NotFoundError
from assistant.core.learning.recall import Hit
from assistant.core.ports.copies import Erased, Leftovers
from assistant.core.records import (
    Memory,
    MemoryEvent,
    MemoryKind,
    MemorySnapshot,
    MemoryStatus,
    Message,
)


class Memories(AssistantBase):
    """What was learned, as the user reviews and changes it."""

    def recall(self, query: str, k: int = 10) -> list[Hit]:
        """Ranked memories, messages and document chunks for a query."""
        text = clean_input(query)
        return self.learning_loop().recall(text, k)

    def memories(
        self, statuses: tuple[MemoryStatus, ...] = ("active",), kind: MemoryKind | None = None
    ) -> list[Memory]:
        """Remembered items, oldest first."""
        return self.memory_store.list_memories(statuses, kind)

    def remember(self, text: str, kind: MemoryKind = "fact") -> Memory:
        """Store a memory the user typed in directly."""
        loop = self.learning_loop()
        memory = loop.book.add_manual(clean_input(text), kind)
        loop.invalidate()
        return memory

    def forget_memory(self, memory_id: str) -> Memory:
        """Delete one memory for real (see `forget_memories`)."""
        memory = self.memory_store.get_memory(memory_id)
        self.forget_memories([memory_id])
        return memory

    def forget_memories(self, memory_ids: Sequence[str]) -> list[MemorySnapshot]:
        """Delete memories for real: rows, events, signals, quotes, old versions on disk.

        Returns what was deleted, embedding and history included, so that a review
        screen can undo while it is open (`undo_forget` writes it back).
        """
        known = {m.id for m in self.memories(ALL_MEMORY_STATUSES)}
        # Ids already gone (deleted elsewhere meanwhile) are skipped, not an error.
        snapshots = self.snapshots([i for i in memory_ids if i in known])
        self._erase([s.memory.id for s in snapshots], ())
        return snapshots

    def erase_memories(self, memory_ids: Sequence[str]) -> Erased:
        """`forget_memories`, with the user's copies that still hold the memories."""
        snapshots = self.forget_memories(memory_ids)
        memories = tuple(s.memory for s in snapshots)
        sources = [i for m in memories for i in m.source_ids]
        return Erased(memories, self.still_holding(memories, (), sources), tuple(snapshots))

    def undo_forget(self, snapshots: Sequence[MemorySnapshot]) -> None:
        """Write deleted memories back exactly as they were (the review screen's undo)."""
        self.memory_store.write_snapshots(snapshots)
        self._memories_changed()

    def snapshots(self, memory_ids: Sequence[str]) -> list[MemorySnapshot]:
        """Memories with their stored embeddings and histories (unknown ids raise)."""
        memories = [self.memory_store.get_memory(i) for i in dict.fromkeys(memory_ids)]
        vectors = self.memory_store.memory_vectors([m.id for m in memories])
        return [
            MemorySnapshot(m, tuple(vectors[m.id]), tuple(self.memory_store.events(m.id)))
            for m in memories
        ]

    def learned_from(self, conversation_id: str) -> list[Memory]:
        """Memories (in any status) with a source message in this conversation."""
        ids = {m.id for m in self.store.list_messages(conversation_id, include_inactive=True)}
        return [m for m in self.memories(ALL_MEMORY_STATUSES) if ids.intersection(m.source_ids)]

    def delete_conversation(
        self, conversation_id: str, with_memories: bool = False
    ) -> list[Memory]:
        """Delete a conversation for real, and with `with_memories` what was learned from
        it; returns the memories deleted."""
        self.store.get_conversation(conversation_id)
        learned = self.learned_from(conversation_id) if with_memories else []
        self._erase([m.id for m in learned], [conversation_id])
        self._prompts.conversation_deleted(conversation_id)
        return learned

    def erase_conversation(self, conversation_id: str, with_memories: bool = False) -> Erased:
        """`delete_conversation`, with the user's copies that still hold its text."""
        messages = self.store.list_messages(conversation_id, include_inactive=True)
        forgotten = tuple(self.delete_conversation(conversation_id, with_memories))
        held = self.still_holding(forgotten, messages, [m.id for m in messages])
        return Erased(forgotten, held)

    def still_holding(
        self, memories: Sequence[Memory], messages: Sequence[Message], message_ids: Sequence[str]
    ) -> Leftovers:
        """The exports that hold these memories' or messages' text, and the adapters
        trained on `message_ids`: the user's copies a delete cannot reach."""
        if self.copies is None:
            return Leftovers()
        texts = [m.text for m in memories] + [m.content for m in messages]
        return self.copies.holding(texts, message_ids)

    def every_copy(self) -> Leftovers:
        """Every export and adapter the user has (what `forget --all` leaves behind)."""
        return Leftovers() if self.copies is None else self.copies.everything()

    def remove_exports(self, exports: Sequence[Path]) -> list[Path]:
        """Delete exports the user wrote (they asked to); returns what was removed."""
        return [] if self.copies is None else self.copies.remove_exports(exports)

    def forget_everything(self) -> None:
        """Erase every conversation, memory, event and signal from disk."""
        self.store.forget_everything()
        self._prompts.forget_everything()
        if self._loop is not None:
            self._loop.invalidate()

    def edit_memory(self, memory_id: str, text: str) -> Memory:
        """Reword a memory (it keeps its id, slot, history and provenance)."""
        memory = self.learning_loop().book.edit(memory_id, clean_input(text))
        self._memories_changed()
        return memory

    def memory_history(self, memory_id: str) -> list[MemoryEvent]:
        """A memory's events, oldest first: added, reinforced, superseded, edited…"""
        return self.memory_store.events(memory_id)

    def memory_sources(self, memory: Memory) -> list[Message]:
        """The stored messages a memory came from (deleted ones are simply missing)."""
        found = []
        for message_id in memory.source_ids:
            try:
                found.append(self.store.get_message(message_id))
            except NotFoundError:
                continue
        return found

    def search_memories(
        self,
        query: str,
        semantic: bool = False,
        statuses: tuple[MemoryStatus, ...] = ALL_MEMORY_STATUSES,
        k: int = 50,
    ) -> list[Memory]:
        """Memories matching `query`: by words (BM25), or by meaning (loads the embedder)."""
        text = " ".join(query.split())
        if not text:
            return self.memories(statuses)
        if semantic:
            vector = self.learning_loop().embedder.embed([text])[0]
            hits = self.memory_store.nearest_memories(vector, k, statuses)
        else:
            hits = self.memory_store.keyword_memories(text, k, statuses)
            needle = text.casefold()
            seen = {h.item.id for h in hits}
            # BM25 needs whole words; a substring ("lock" in "locker") still matches.
            extra = [
                m
                for m in self.memories(statuses)
                if m.id not in seen and needle in m.text.casefold()
            ]
            return [h.item for h in hits] + extra
        return [h.item for h in hits]

    def restore_memory(self, memory_id: str) -> Memory:
        """Make a superseded memory active again."""
        loop = self.learning_loop()
        memory = loop.book.restore(memory_id)
        loop.invalidate()
        return memory
