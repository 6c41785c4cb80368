"""Schema evolution: every released store opens and migrates; a newer one is refused.

The fixtures in tests/fixtures/stores were written by the app at each release (see
their README), so these tests read real old files, not a simulation of them.
"""

import hashlib
import shutil
from pathlib import Path

import pytest

from assistant.core.errors import StoreError
from assistant.store.lance import LanceStore
from assistant.store.lance_db import META, SCHEMA_VERSION, LanceDatabase
from assistant.store.memories import LanceMemoryStore

pytestmark = pytest.mark.real

FIXTURES = Path(__file__).parent / "fixtures" / "stores"
RELEASED = sorted(int(p.name[1:]) for p in FIXTURES.glob("v*") if p.is_dir())


def _copy(version: int, tmp_path: Path) -> Path:
    store = tmp_path / "store"
    shutil.copytree(FIXTURES / f"v{version}", store)
    return store


def _fingerprint(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_there_is_a_fixture_for_every_released_schema_version() -> None:
    assert list(range(1, SCHEMA_VERSION + 1)) == RELEASED


@pytest.mark.parametrize("version", RELEASED)
def test_a_released_store_opens_migrates_and_reads_back(version: int, tmp_path: Path) -> None:
    db = LanceDatabase(_copy(version, tmp_path))
    store = LanceStore(db)

    assert store.schema_version() == SCHEMA_VERSION
    [conversation] = store.list_conversations()
    messages = store.list_messages(conversation.id)
    assert [m.content for m in messages] == [
        f"I live in Lisbon (fixture v{version}).",
        "Noted: you live in Lisbon.",
    ]
    assert messages[0].origin == "chat"  # a column v1 did not have, filled by the migration
    memories = LanceMemoryStore(db).list_memories()
    assert [m.text for m in memories] == (["The user lives in Lisbon."] if version >= 2 else [])

    # and the migrated store takes the current version's writes
    store.set_message_status([messages[1].id], "superseded")
    reopened = LanceStore(LanceDatabase(db.path))
    assert reopened.schema_version() == SCHEMA_VERSION
    assert [m.id for m in reopened.list_messages(conversation.id)] == [messages[0].id]


def test_a_store_from_a_newer_version_is_refused_and_left_untouched(tmp_path: Path) -> None:
    store = _copy(SCHEMA_VERSION, tmp_path)
    db = LanceDatabase(store)
    db.schema_version()
    db.table(META).update(where="key = 'schema_version'", values={"value": str(SCHEMA_VERSION + 1)})
    before = _fingerprint(store)

    with pytest.raises(StoreError, match=rf"v{SCHEMA_VERSION + 1}, newer than") as raised:
        LanceDatabase(store).schema_version()

    assert "upgrade" in raised.value.hint
    assert _fingerprint(store) == before
