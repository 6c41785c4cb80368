"""Two processes writing one real store at once: no corruption, no lost write.

Each writer adds 500 memories and, every 25, adds and purges a scratch memory (a
delete that rewrites the table). Without the store's cross-process write lock the
rewrite drops rows the other process committed in between, and LanceDB refuses a
delete that races an overwrite; with it, all 1,000 acknowledged memories survive.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from assistant.store.lance_db import MEMORIES, LanceDatabase
from assistant.store.memories import LanceMemoryStore
from assistant.store.write_lock import StoreLock
from tests.store_writer import vector

pytestmark = pytest.mark.real


def _writer(store: Path, tag: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.store_writer", str(store), tag, "500", "--purge-every", "25"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_writing_500_memories_each_lose_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    LanceDatabase(store).schema_version()  # created once, as the first app start does
    writers = [_writer(store, "a"), _writer(store, "b")]
    acked: set[str] = set()
    for writer in writers:
        out, err = writer.communicate(timeout=600)
        assert writer.returncode == 0, err
        acked |= {line for line in out.splitlines() if not line.startswith("purged")}
    assert len(acked) == 1000

    ids = {row["id"] for row in LanceDatabase(store).rows(MEMORIES)}
    assert ids == acked  # every acknowledged memory, and no scratch one left behind


def test_the_lock_is_reentrant_and_excludes_another_holder(tmp_path: Path) -> None:
    first = StoreLock(tmp_path)
    caught_up: list[int] = []
    second = StoreLock(tmp_path, lambda: caught_up.append(1))
    with first, first:  # re-entrant within a thread
        probe = subprocess.run(
            [
                sys.executable,
                "-c",
                "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR)\n"
                "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
                "except BlockingIOError:\n    sys.exit(3)",
                str(first.path),
            ],
            check=False,
        )
        assert probe.returncode == 3  # another process cannot take it meanwhile
    with second:
        pass
    assert caught_up == [1]  # the holder catches up with other writers on each take


def test_an_open_store_sees_what_another_process_wrote(tmp_path: Path) -> None:
    """A second window (or a CLI run) adds memories; this one lists and searches them
    at once, without a restart or a write of its own."""
    store = tmp_path / "store"
    memories = LanceMemoryStore(LanceDatabase(store))
    assert memories.list_memories() == []
    target = vector("other-1")
    assert memories.nearest_memories(target, k=1) == []  # the vector cache is loaded now

    writer = subprocess.run(
        [sys.executable, "-m", "tests.store_writer", str(store), "other", "2"],
        capture_output=True,
        text=True,
        check=True,
    )

    assert writer.stdout.split() == ["other-0", "other-1"]
    assert {m.id for m in memories.list_memories()} == {"other-0", "other-1"}
    assert [hit.item.id for hit in memories.nearest_memories(target, k=1)] == ["other-1"]
