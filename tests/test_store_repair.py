"""A damaged store opens: the damage is found, a copy kept aside, and the rest recovered.

Real LanceDB files are damaged the way disks and copies damage them: a data file
truncated, the newest version file deleted, every version file of a table deleted.
"""

import logging
from pathlib import Path

import pytest

from assistant.core.records import Message, utc_now
from assistant.store.lance import LanceStore
from assistant.store.lance_db import MEMORIES, MEMORY_EVENTS, MESSAGES, LanceDatabase
from assistant.store.memories import LanceMemoryStore
from assistant.store.schema import SIGNALS
from assistant.system.logs import NOTICES
from tests.cli_helpers import cli_environment, run
from tests.store_writer import memory, vector

pytestmark = pytest.mark.real


def _store_with_three_batches(store: Path) -> list[list[str]]:
    """Memories written in three commits (three data files); returns their ids."""
    memories = LanceMemoryStore(LanceDatabase(store))
    batches = []
    for batch in range(3):
        ids = [f"m{batch}-{i}" for i in range(20)]
        for memory_id in ids:
            memories.add_memory(memory(memory_id, f"fact {memory_id}"), vector(memory_id))
        batches.append(ids)
    return batches


def _data_files(store: Path, table: str) -> list[Path]:
    return sorted(
        (store / f"{table}.lance" / "data").glob("*.lance"), key=lambda p: p.stat().st_mtime_ns
    )


def _manifests(store: Path, table: str) -> list[Path]:
    # LanceDB names version files so that the newest sorts first.
    return sorted((store / f"{table}.lance" / "_versions").glob("*.manifest"))


def _ids(store: Path, table: str) -> set[str]:
    return {row["id"] for row in LanceDatabase(store).rows(table)}


def _aside(store: Path) -> list[Path]:
    return sorted(store.parent.glob(f"{store.name}.damaged-*"))


def test_a_truncated_data_file_is_set_aside_and_the_readable_rows_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = tmp_path / "store"
    first, _, last = _store_with_three_batches(store)
    damaged = _data_files(store, MEMORIES)[25]  # one memory's file, in the middle batch
    damaged.write_bytes(damaged.read_bytes()[:100])

    with caplog.at_level(logging.WARNING, logger=NOTICES):
        survivors = _ids(store, MEMORIES)

    assert set(first) | set(last) <= survivors
    assert len(survivors) == 59  # every memory but the one in the truncated file
    assert "memories table was damaged" in caplog.text
    [copy] = _aside(store)
    assert (copy / f"{MEMORIES}.lance" / "data" / damaged.name).stat().st_size == 100
    # the repaired store takes writes and reads back whole
    LanceMemoryStore(LanceDatabase(store)).add_memory(memory("new", "a new fact"), vector("new"))
    assert "new" in _ids(store, MEMORIES)
    assert len(_aside(store)) == 1  # a sound store is not copied again


def test_a_deleted_newest_version_file_is_reported_and_the_previous_version_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = tmp_path / "store"
    _store_with_three_batches(store)
    _manifests(store, MEMORIES)[0].unlink()

    with caplog.at_level(logging.WARNING, logger=NOTICES):
        survivors = _ids(store, MEMORIES)

    assert len(survivors) == 59  # the newest commit (one memory) is what was lost
    assert "newest version file" in caplog.text
    assert len(_aside(store)) == 1


def test_a_table_without_version_files_starts_empty_and_the_rest_is_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = tmp_path / "store"
    _store_with_three_batches(store)
    db = LanceDatabase(store)
    db.table(MEMORY_EVENTS).add(
        [
            {
                "id": "e1",
                "memory_id": "m0-0",
                "action": "created",
                "at": None,
                "reason": "",
                "source_ids": [],
                "detail": "",
            }
        ]
    )
    for manifest in _manifests(store, MEMORY_EVENTS):
        manifest.unlink()

    with caplog.at_level(logging.WARNING, logger=NOTICES):
        assert _ids(store, MEMORY_EVENTS) == set()

    assert "version files are missing" in caplog.text
    assert len(_ids(store, MEMORIES)) == 60


def test_the_cli_warns_about_a_repaired_store_and_goes_on(tmp_path: Path, gguf_path: Path) -> None:
    env = cli_environment(tmp_path / "home", gguf_path)
    store = tmp_path / "home" / "data" / "store"
    first = run(["conversations", "list", "--json"], env)
    assert first.returncode == 0, first.stderr
    LanceStore(LanceDatabase(store)).add_messages(
        [Message("m1", "c1", "user", "hello", utc_now())]
    )  # a table with data: without its version files, that data is what is lost
    damaged = _manifests(store, MESSAGES)
    for manifest in damaged:
        manifest.unlink()

    result = run(["conversations", "list", "--json"], env)

    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("warning: The store's messages table was damaged")
    assert "Traceback" not in result.stderr
    assert _aside(store)


_FULL_DISK_CHILD = """
import resource, signal, sys
from pathlib import Path
from assistant.core.errors import StoreError
from assistant.core.records import Conversation, Message, utc_now
from assistant.store.lance import LanceStore
from assistant.store.lance_db import LanceDatabase
store = LanceStore(LanceDatabase(Path(sys.argv[1])))
store.schema_version()
now = utc_now()
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))  # the disk fills up now
try:
    if sys.argv[2] == "merge_insert":
        store.save_conversation(Conversation("new", "a new title", "", now, now))
    else:  # a plain add, its file cut at the limit
        store.add_messages([Message("new", "old", "user", "ok", now)])
except StoreError as exc:
    print("refused:", exc.message)
else:
    print("stored")
"""


@pytest.mark.parametrize(
    ("write", "table"), [("merge_insert", "conversations"), ("add", "messages")]
)
def test_a_write_cut_short_by_a_full_disk_is_refused_not_committed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, write: str, table: str
) -> None:
    """LanceDB's merge_insert and add committed a truncated data file on EFBIG; the
    store checks the files a write adds and rolls the version back, so the caller
    hears of it and the next open needs no repair."""
    import subprocess
    import sys

    from assistant.core.records import Conversation, Message, utc_now

    store = tmp_path / "store"
    now = utc_now()
    before = LanceStore(LanceDatabase(store))
    before.save_conversation(Conversation("old", "kept", "", now, now))
    before.add_messages([Message("first", "old", "user", "hello", now)])

    child = subprocess.run(
        [sys.executable, "-c", _FULL_DISK_CHILD, str(store), write],
        capture_output=True,
        text=True,
        check=True,
    )

    assert child.stdout.startswith(f"refused: could not write to the store's {table}")
    with caplog.at_level(logging.WARNING, logger=NOTICES):
        after = LanceStore(LanceDatabase(store))
        assert [c.id for c in after.list_conversations()] == ["old"]
        assert [m.id for m in after.list_messages("old")] == ["first"]
    assert caplog.text == ""  # rolled back: the next open needs no repair
    assert not _aside(store)


def test_a_table_whose_creation_was_cut_short_is_created_again_without_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A kill between LanceDB's transaction file and a new table's first version file
    (the first start after an upgrade creates tables) commits nothing: it is not damage,
    so no warning and no copy of the store."""
    store = tmp_path / "store"
    batches = _store_with_three_batches(store)
    folder = store / f"{SIGNALS}.lance"
    assert not any((folder / "data").glob("*"))  # the table was created and stayed empty
    for version_file in (folder / "_versions").iterdir():
        version_file.unlink()
    assert any((folder / "_transactions").iterdir())  # what the cut-short creation left

    with caplog.at_level(logging.WARNING, logger=NOTICES):
        db = LanceDatabase(store)
        assert db.table(SIGNALS).count_rows() == 0
        assert _ids(store, MEMORIES) == {i for batch in batches for i in batch}
    assert caplog.text == ""
    assert _aside(store) == []
    assert any((folder / "_versions").glob("*.manifest"))  # created again, whole
