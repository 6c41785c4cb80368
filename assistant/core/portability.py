"""Memory export and import, and chat-history import: the service's file round trips."""

from collections.abc import Callable
from pathlib import Path

from assistant.core.base import ALL_MEMORY_STATUSES
from assistant.core.errors import InputError
from assistant.core.events import ImportSummary
from assistant.core.formats.history import read_history
from assistant.core.formats.memory_file import MemoryImport, read_memory_file, write_memory_file
from assistant.core.memories import Memories


class Portability(Memories):
    """Memories and history in and out of files."""

    def export_memories(self, path: Path) -> int:
        """Write every memory with its provenance to `path` as JSON; returns the count."""
        snapshots = self.snapshots([m.id for m in self.memories(ALL_MEMORY_STATUSES)])
        sources = {s.id: s for snap in snapshots for s in self.memory_sources(snap.memory)}
        write_memory_file(path, snapshots, sources)
        if self.copies is not None:  # a later delete names this copy
            self.copies.record_export(path)
        return len(snapshots)

    def import_memories(self, path: Path) -> MemoryImport:
        """Read a memory export back; memories already present are left as they are."""
        snapshots = read_memory_file(path)
        for snapshot in snapshots:
            if len(snapshot.vector) != self.memory_store.embedding_dim:
                raise InputError(
                    f"memory {snapshot.memory.id} has a {len(snapshot.vector)}-dim embedding,"
                    f" this store keeps {self.memory_store.embedding_dim}",
                    "export it again from this version of the app",
                )
        present = {m.id for m in self.memories(ALL_MEMORY_STATUSES)}
        fresh = [s for s in snapshots if s.memory.id not in present]
        self.undo_forget(fresh)
        return MemoryImport(added=len(fresh), present=len(snapshots) - len(fresh))

    def import_history(
        self, path: Path, progress: Callable[[str], None] = lambda _: None, learn: bool = False
    ) -> ImportSummary:
        """Import chat history; idempotent.

        Recall only, unless `learn`: then the user's own turns (never the assistant's)
        also teach memories, as if they had been said in a chat.
        """
        if learn and not self.learning_on:
            raise InputError(
                "learning is off, so --learn has nothing to do",
                "set learning to memory or above (ASSISTANT_LEARNING=memory)",
            )
        batch = read_history(path, lambda done, total: progress(f"Reading {done}/{total}"))
        known = self.store.existing_message_ids([m.id for m in batch.messages])
        fresh = [m for m in batch.messages if m.id not in known]
        touched = {m.conversation_id for m in fresh}
        # Messages first, then their conversations, then the search index: a process
        # killed part-way leaves no listed conversation without its messages, and a
        # second run finishes what the first started.
        self.store.add_messages(fresh)
        listed = {c.id for c in self.store.list_conversations()}
        self.store.save_conversations(
            [c for c in batch.conversations if c.id in touched or c.id not in listed]
        )
        loop = self.learning_loop(progress)
        indexed = self.memory_store.indexed_message_ids()
        active = [m for m in batch.messages if m.status == "active" and m.id not in indexed]
        for start in range(0, len(active), 256):
            loop.index_imported(active[start : start + 256])
            progress(f"Indexing {min(start + 256, len(active))}/{len(active)} messages")
        learned = loop.learn_imported(batch.messages, progress) if learn else []
        return ImportSummary(
            len(touched),
            len(fresh),
            batch.skipped + len(batch.messages) - len(fresh),
            sum(m.status == "active" for m in learned),
        )
