"""What every command shares: its environment, the exit codes, the progress line, and
a memory as JSON."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from assistant.core.records import Memory

if TYPE_CHECKING:
    from assistant.compose import Environment

    # The type argparse gives `add_subparsers()`; each command group adds its parsers
    # to it (subscriptable for the type checker only).
    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def setup(model: str | None) -> Environment:
    """The environment for a command, with logging to the data dir's log file."""
    from assistant.compose import load_environment
    from assistant.system.logs import setup_logging

    env = load_environment(model=model)
    setup_logging(env.paths)
    return env


def progress_printer(quiet: bool) -> Callable[[str], None]:
    """A one-line progress display on stderr (nothing when `quiet`)."""

    def show(line: str) -> None:
        if not quiet:
            print(f"\r\033[K{line}", end="", file=sys.stderr, flush=True)

    return show


def memory_json(memory: Memory) -> dict[str, object]:
    """A memory as the `--json` outputs show it."""
    return {
        "id": memory.id,
        "kind": memory.kind,
        "text": memory.text,
        "status": memory.status,
        "key": memory.key,
        "created_at": memory.created_at.isoformat(),
        "updated_at": memory.updated_at.isoformat(),
        "last_used_at": memory.last_used_at.isoformat() if memory.last_used_at else None,
        "use_count": memory.use_count,
        "source_ids": list(memory.source_ids),
        "supersedes": memory.supersedes or None,
        "superseded_by": memory.superseded_by or None,
        "confidence": round(memory.confidence, 3),
    }
