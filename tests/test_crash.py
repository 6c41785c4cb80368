"""SIGKILL at randomised points: nothing acknowledged is lost, nothing half-written shows.

Children write to a real store (tests/store_writer.py, tests/crash_child.py) and
print a line after each step they finish: that line is the acknowledgement. The
parent reads up to a random step, waits a random fraction of a step so the kill
lands inside the next one, and sends SIGKILL. Then a fresh process opens the store
and checks it: it opens without repair, every acknowledged write is there, every
acknowledged delete is gone, and no partial import or export is visible. 56 kill
points in all: writes and purges (learning, delete-and-compact), import, export and
a schema migration.
"""

import json
import logging
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.core.formats.memory_file import read_memory_file
from assistant.store.lance import LanceStore
from assistant.store.lance_db import MEMORIES, SCHEMA_VERSION, LanceDatabase, schemas
from assistant.system.logs import NOTICES
from tests.test_store_schema import FIXTURES

pytestmark = pytest.mark.real

SEED = 20261125


def _start(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _kill_after(child: subprocess.Popen[str], lines: int, pause_s: float) -> list[str]:
    """Read `lines` acknowledgements, wait `pause_s` into the next step, SIGKILL."""
    assert child.stdout is not None
    seen = []
    while len(seen) < lines:
        line = child.stdout.readline()
        if not line:
            break  # the child finished first: a kill point after the last step
        seen.append(line.strip())
    time.sleep(pause_s)  # where the kill lands, not a synchronisation
    child.send_signal(signal.SIGKILL)
    rest, _ = child.communicate()
    # Lines written before the kill are acknowledgements too.
    return seen + [line.strip() for line in rest.splitlines() if line.strip()]


def _open_soundly(store: Path, caplog: pytest.LogCaptureFixture) -> LanceDatabase:
    """Open the store as a new process would, and check it needed no repair."""
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=NOTICES):
        db = LanceDatabase(store)
        assert db.schema_version() == SCHEMA_VERSION
        for name in schemas():
            db.table(name).to_arrow()  # every table reads whole
    assert caplog.text == ""  # a kill never damages the store
    return db


def test_kills_during_writes_and_purges_lose_no_acknowledged_memory(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(SEED)
    store = tmp_path / "store"
    acked: set[str] = set()
    purged: set[str] = set()
    for round_ in range(30):
        child = _start(["tests.store_writer", str(store), f"r{round_}", "40", "--purge-every", "3"])
        lines = _kill_after(child, rng.randint(0, 12), rng.uniform(0, 0.05))
        acked |= {line for line in lines if not line.startswith("purged")}
        purged |= {line.split()[1] for line in lines if line.startswith("purged")}

        ids = {row["id"] for row in _open_soundly(store, caplog).rows(MEMORIES)}
        assert acked <= ids
        assert not purged & ids
    assert len(acked) > 100  # the kills landed across many steps


def test_kills_during_import_leave_whole_conversations_and_a_rerun_finishes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(SEED + 1)
    home = tmp_path / "home"
    history = tmp_path / "chats.jsonl"
    rows = [
        {
            "conversation_id": f"c{c}",
            "id": f"c{c}-m{m}",
            "role": "user" if m % 2 == 0 else "assistant",
            "content": f"conversation {c} message {m} about topic {c * 7 % 13}",
            "created_at": f"2025-01-{1 + c % 28:02d}T10:{m:02d}:00",
        }
        for c in range(120)
        for m in range(6)
    ]
    history.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    store = home / "data" / "store"
    for _ in range(8):
        child = _start(["tests.crash_child", "import", str(home), str(history)])
        _kill_after(child, rng.randint(1, 4), rng.uniform(0, 0.5))
        if not store.exists():
            continue
        db = _open_soundly(store, caplog)
        listed = LanceStore(db).list_conversations()
        for conversation in listed:  # a listed conversation has all its messages
            assert len(LanceStore(db).list_messages(conversation.id)) == 6

    child = _start(["tests.crash_child", "import", str(home), str(history)])
    out, _ = child.communicate(timeout=600)
    assert child.returncode == 0 and out.splitlines()[-1] == "done"
    db = _open_soundly(store, caplog)
    assert len(LanceStore(db).list_conversations()) == 120
    assert len(db.rows("message_index")) == len(rows)  # the search index caught up too


def test_kills_during_export_never_leave_a_partial_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(SEED + 2)
    home = tmp_path / "home"
    store = home / "data" / "store"
    writer = _start(["tests.store_writer", str(store), "m", "100"])
    writer.communicate(timeout=600)
    out = tmp_path / "memories.json"
    for _ in range(8):
        child = _start(["tests.crash_child", "export", str(home), str(out), "30"])
        _kill_after(child, rng.randint(1, 4), rng.uniform(0, 0.2))
        if out.exists():  # the export is the old one or the new one, whole either way
            assert len(read_memory_file(out)) == 100
        _open_soundly(store, caplog)


def test_kills_during_a_schema_migration_leave_a_store_that_migrates(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(SEED + 3)
    for attempt in range(10):
        store = tmp_path / f"store{attempt}"
        shutil.copytree(FIXTURES / "v1", store)
        child = _start(["tests.crash_child", "migrate", str(store)])
        _kill_after(child, 1, rng.uniform(0, 0.6))

        db = _open_soundly(store, caplog)
        [conversation] = LanceStore(db).list_conversations()
        contents = [m.content for m in LanceStore(db).list_messages(conversation.id)]
        assert contents == ["I live in Lisbon (fixture v1).", "Noted: you live in Lisbon."]
