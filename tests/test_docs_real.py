"""Acceptance for `assistant docs`, end to end through the real CLI: the real model,
the real embedder and a real LanceDB in a fresh ASSISTANT_HOME."""

import json
import os
from pathlib import Path

import pytest

from tests.cli_helpers import run
from tests.doc_fixtures import write_notes
from tests.erasure import files_containing, tables_with_old_versions

QUESTION = "When does the ferry to Bergen leave?"
# In the answering chunk but not the answer: a short reply never repeats it, so any
# copy on disk after the delete would be the index's, not the conversation's.
MARKER = "ref NORDIC-FJORD-7741"


def _documents(cli_env: dict[str, str]) -> list[dict[str, object]]:
    chat = run(["chat", QUESTION, "--json"], cli_env)
    assert chat.returncode == 0, chat.stderr
    turn = json.loads(chat.stdout)
    assert MARKER not in turn["reply"]
    documents: list[dict[str, object]] = turn["context"]["documents"]
    return documents


@pytest.mark.real
def test_index_edit_and_delete_a_note_through_the_cli(
    tmp_path: Path, home: Path, cli_env: dict[str, str]
) -> None:
    cli_env = cli_env | {"ASSISTANT_MAX_TOKENS": "8"}
    notes = write_notes(tmp_path / "notes")
    travel = notes["travel"]
    travel.write_text(
        f"# Trip to Norway\n\nPlans for the summer.\n\n## Ferry\n\n"
        f"The ferry to Bergen leaves at 07:30 from pier 4 ({MARKER}).\n"
    )
    added = run(["docs", "add", str(tmp_path / "notes"), "--json"], cli_env)
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["added"] == 10
    assert f"Indexing {travel}" in added.stderr  # progress on stderr

    found = _documents(cli_env)
    assert found[0]["citation"] == "[notes/travel.md#Ferry]"
    assert found[0]["path"] == str(travel)
    assert found[0]["heading"] == "Trip to Norway > Ferry"
    assert "07:30" in str(found[0]["text"])
    assert all(d["path"] == str(travel) for d in found if MARKER in str(d["text"]))

    travel.write_text(
        f"# Trip to Norway\n\nPlans for the summer.\n\n## Ferry\n\n"
        f"The ferry to Bergen now leaves at 09:15 from pier 2 ({MARKER}).\n"
    )
    os.utime(travel, ns=(1, 1))  # a new mtime even on a coarse clock
    synced = run(["docs", "sync", "--json"], cli_env)
    assert synced.returncode == 0, synced.stderr
    assert json.loads(synced.stdout) | {"seconds": 0} == json.loads(synced.stdout) | {
        "seconds": 0,
        "updated": 1,
        "unchanged": 9,
        "removed": 0,
        "hashed": 1,
    }
    texts = [str(d["text"]) for d in _documents(cli_env)]
    assert any("09:15" in t for t in texts)
    assert not any("07:30" in t for t in texts)

    travel.unlink()
    synced = run(["docs", "sync", "--json"], cli_env)
    assert synced.returncode == 0, synced.stderr
    assert json.loads(synced.stdout)["removed"] == 1
    store = home / "data" / "store"
    # The chunks, and the replies' recorded contexts that quoted them, are gone.
    assert files_containing([store], MARKER.encode()) == []
    assert files_containing([store], b"09:15") == []
    quoting = {"doc_chunks", "doc_files", "doc_roots", "messages", "signals"}
    assert set(tables_with_old_versions(store)) & quoting == set()
    assert all(d["path"] != str(travel) for d in _documents(cli_env))

    listed = run(["docs", "list", "--json"], cli_env)
    [root] = json.loads(listed.stdout)
    assert (root["files"], root["chunks"]) == (9, 18)
    assert root["synced_at"] is not None


@pytest.mark.real
def test_docs_remove_erases_and_bad_paths_fail_cleanly(
    tmp_path: Path, home: Path, cli_env: dict[str, str]
) -> None:
    notes = write_notes(tmp_path / "notes")
    (tmp_path / "notes" / "blob.txt").write_bytes(b"\x00\x01" * 100)
    added = run(["docs", "add", str(tmp_path / "notes")], cli_env)
    assert added.returncode == 0, added.stderr
    assert "10 added" in added.stdout
    assert f"skipped {tmp_path / 'notes' / 'blob.txt'}: binary file" in added.stderr

    refused = run(["docs", "remove", str(notes["cat"])], cli_env)
    assert refused.returncode != 0 and "pass --yes" in refused.stderr
    removed = run(["docs", "remove", str(notes["cat"]), "--yes", "--json"], cli_env)
    assert json.loads(removed.stdout) == {"path": str(notes["cat"]), "files": 1, "chunks": 2}
    assert files_containing([home / "data" / "store"], b"Lindqvist") == []

    missing = run(["docs", "add", str(tmp_path / "nope")], cli_env)
    assert missing.returncode != 0
    assert "Traceback" not in missing.stderr
    assert "error: no such file or folder" in missing.stderr and "hint: " in missing.stderr
