"""The memory export file: every memory with its provenance, as one JSON document.

Lossless by construction: ids, texts, kinds, statuses, slots, links, counts, times,
events and the stored embedding all travel, so an import restores exactly what was
exported without loading the embedder. The texts of the source messages travel too,
for a human reading the file; an import does not recreate conversations from them.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, get_args

from assistant.core.errors import InputError
from assistant.core.formats.private_file import write_private_file
from assistant.core.records import (
    MEMORY_KINDS,
    Memory,
    MemoryEvent,
    MemorySnapshot,
    MemoryStatus,
    Message,
)

FORMAT = "assistant-memories"
VERSION = 1
DAMAGED = "the file is damaged or was edited by hand: export it again"


def _memory_json(snapshot: MemorySnapshot, sources: dict[str, Message]) -> dict[str, Any]:
    m = snapshot.memory
    return {
        "id": m.id,
        "kind": m.kind,
        "text": m.text,
        "key": m.key,
        "status": m.status,
        "source_ids": list(m.source_ids),
        "created_at": m.created_at.isoformat(),
        "updated_at": m.updated_at.isoformat(),
        "last_used_at": m.last_used_at.isoformat() if m.last_used_at else None,
        "use_count": m.use_count,
        "supersedes": m.supersedes,
        "superseded_by": m.superseded_by,
        "confidence": m.confidence,
        "sources": [
            {
                "id": s.id,
                "conversation_id": s.conversation_id,
                "role": s.role,
                "content": s.content,
                "created_at": s.created_at.isoformat(),
            }
            for s in (sources[i] for i in m.source_ids if i in sources)
        ],
        "events": [
            {
                "id": e.id,
                "action": e.action,
                "at": e.at.isoformat(),
                "reason": e.reason,
                "source_ids": list(e.source_ids),
                "detail": e.detail,
            }
            for e in snapshot.events
        ],
        "vector": list(snapshot.vector),
    }


def write_memory_file(
    path: Path, snapshots: Sequence[MemorySnapshot], sources: dict[str, Message]
) -> None:
    """Write the export atomically, readable by the user only (it holds what they said)."""
    document = {
        "format": FORMAT,
        "version": VERSION,
        "memories": [_memory_json(s, sources) for s in snapshots],
    }
    write_private_file(path, json.dumps(document, ensure_ascii=False, indent=1), "memories.json")


def _time(value: Any, where: str) -> datetime:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"{where}: not an ISO date: {value!r}", DAMAGED) from None


def _snapshot(item: Any, where: str) -> MemorySnapshot:
    if not isinstance(item, dict):
        raise InputError(f"{where}: not an object", DAMAGED)
    try:
        kind, status = item["kind"], item["status"]
        if kind not in MEMORY_KINDS:
            raise InputError(f"{where}: unknown kind {kind!r}", f"one of {', '.join(MEMORY_KINDS)}")
        if status not in get_args(MemoryStatus):
            raise InputError(f"{where}: unknown status {status!r}", DAMAGED)
        memory = Memory(
            id=str(item["id"]),
            kind=kind,
            text=str(item["text"]),
            key=str(item["key"]),
            source_ids=tuple(str(i) for i in item["source_ids"]),
            created_at=_time(item["created_at"], where),
            updated_at=_time(item["updated_at"], where),
            status=status,
            last_used_at=_time(item["last_used_at"], where) if item["last_used_at"] else None,
            use_count=int(item["use_count"]),
            supersedes=str(item["supersedes"]),
            superseded_by=str(item["superseded_by"]),
            confidence=float(item["confidence"]),
        )
        events = tuple(
            MemoryEvent(
                id=str(e["id"]),
                memory_id=memory.id,
                action=str(e["action"]),
                at=_time(e["at"], where),
                reason=str(e["reason"]),
                source_ids=tuple(str(i) for i in e["source_ids"]),
                detail=str(e["detail"]),
            )
            for e in item["events"]
        )
        vector = tuple(float(x) for x in item["vector"])
    except (KeyError, TypeError, ValueError, OverflowError) as exc:  # Overflow: int(Infinity)
        raise InputError(f"{where}: missing or malformed field {exc}", DAMAGED) from None
    return MemorySnapshot(memory, vector, events)


def read_memory_file(path: Path) -> list[MemorySnapshot]:
    """Parse and validate a whole export before anything is imported."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", "check the path") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{path} is not JSON: {exc}", "pass a file from `memory export`") from None
    except RecursionError:
        hint = "pass a file from `memory export`"
        raise InputError(f"{path} is nested too deeply", hint) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InputError(f"{path} is not a memory export", "pass a file from `memory export`")
    if document.get("version") != VERSION:
        raise InputError(
            f"{path} is a version {document.get('version')} export; this app reads {VERSION}",
            "export it again with this version",
        )
    try:  # a lone surrogate escape (`\\ud800`) parses, but the store cannot encode it
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{path} holds invalid Unicode (a lone surrogate)", DAMAGED) from None
    items = document.get("memories")
    if not isinstance(items, list):
        raise InputError(f"{path} has no list of memories", "pass a file from `memory export`")
    return [_snapshot(item, f"{path.name}: memory {n + 1}") for n, item in enumerate(items)]


@dataclass(frozen=True)
class MemoryImport:
    """What a memory import did: new memories, and ones already present (unchanged)."""

    added: int
    present: int
