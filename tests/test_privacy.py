"""Privacy by default, through the real CLI on the real model, embedder and LanceDB:
deletes that leave no byte behind, no network, private files, lossless memory export."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_helpers import assert_clean_error, cli_environment, run, run_subprocess
from tests.erasure import tables_with_old_versions, traces

pytestmark = pytest.mark.real

MARKER = "QX-4471-ZETA"
NETGUARD = Path(__file__).with_name("netguard")


def app_dirs(home: Path) -> list[Path]:
    """The config, data and cache dirs of a home (models live under data)."""
    return [home / "config", home / "data", home / "cache"]


def chat(args: list[str], env: dict[str, str], *, process: bool = False) -> dict[str, object]:
    result = (run_subprocess if process else run)(["chat", "--json", *args], env)
    assert result.returncode == 0, result.stderr
    reply: dict[str, object] = json.loads(result.stdout)
    return reply


def test_the_secret_is_gone_from_disk_after_cli_deletes(
    cli_env: dict[str, str], home: Path
) -> None:
    first = chat([f"my locker code is {MARKER}"], cli_env)
    conversation = str(first["conversation_id"])
    learned = first["learned"]
    assert isinstance(learned, list)
    [memory] = [m for m in learned if MARKER in m["text"]]
    for text in ("what should I cook tonight?", "thanks, and tell me a joke"):
        chat(["--conversation", conversation, text], cli_env)
    listed = json.loads(run(["memory", "list", "--json"], cli_env).stdout)
    assert [m["id"] for m in listed if MARKER in m["text"]] == [memory["id"]]
    export = home / "mine.json"
    assert run(["memory", "export", str(export)], cli_env).returncode == 0
    vector = next(
        m["vector"] for m in json.loads(export.read_text())["memories"] if m["id"] == memory["id"]
    )
    export.unlink()  # it is the user's own copy; this test is about the app's files
    assert traces(app_dirs(home), MARKER, [vector])  # the search finds it while it exists

    forgot = run(["memory", "forget", memory["id"], "--yes"], cli_env)
    assert forgot.returncode == 0, forgot.stderr
    deleted = run(["conversations", "delete", conversation, "--yes", "--with-memories"], cli_env)
    assert deleted.returncode == 0, deleted.stderr

    assert traces(app_dirs(home), MARKER, [vector]) == []
    assert tables_with_old_versions(home / "data" / "store") == {}
    remaining = json.loads(run(["memory", "list", "--all", "--json"], cli_env).stdout)
    assert not any(MARKER in m["text"] for m in remaining)
    assert json.loads(run(["conversations", "list", "--json"], cli_env).stdout) == []


def test_deleting_a_conversation_offers_to_keep_or_forget_what_it_taught(
    cli_env: dict[str, str], home: Path
) -> None:
    kept = chat(["I am vegetarian"], cli_env)
    # An adapter trained on this conversation is named by the delete (not removed).
    trained = home / "data" / "adapters" / "lora-test"
    trained.mkdir(parents=True)
    reply_id = kept["message_ids"]["assistant"]  # type: ignore[index]
    (trained / "adapter.json").write_text(json.dumps({"source_message_ids": [reply_id]}))
    refused = run(["forget", "--conversation", str(kept["conversation_id"])], cli_env, b"")
    assert_clean_error(refused, "confirmation")
    result = run(
        ["forget", "--conversation", str(kept["conversation_id"]), "--yes", "--keep-memories"],
        cli_env,
    )
    assert result.returncode == 0, result.stderr
    assert "lora-test" in result.stderr and "may remember it" in result.stderr
    assert trained.exists()
    texts = [m["text"] for m in json.loads(run(["memory", "list", "--json"], cli_env).stdout)]
    assert texts == ["The user is vegetarian."]

    gone = chat(["I live in Berlin"], cli_env)
    result = run(
        ["conversations", "delete", str(gone["conversation_id"]), "--yes", "--with-memories"],
        cli_env,
    )
    assert result.returncode == 0, result.stderr
    assert "The user lives in Berlin." in result.stdout  # it names what it forgot
    texts = [m["text"] for m in json.loads(run(["memory", "list", "--json"], cli_env).stdout)]
    assert texts == ["The user is vegetarian."]


def test_memory_export_wipe_import_restores_an_identical_set(
    cli_env: dict[str, str], home: Path
) -> None:
    chat(["I live in Berlin"], cli_env)
    chat(["I moved to Lisbon"], cli_env)  # supersedes Berlin: two statuses, linked
    chat([f"my locker code is {MARKER}"], cli_env)
    run(["memory", "add", "The user prefers short answers", "--kind", "preference"], cli_env)
    before = json.loads(run(["memory", "list", "--all", "--json"], cli_env).stdout)
    assert {m["status"] for m in before} == {"active", "superseded"}
    history = {
        m["id"]: run(["memory", "history", m["id"], "--json"], cli_env).stdout for m in before
    }

    export = home / "memories.json"
    assert run(["memory", "export", str(export)], cli_env).returncode == 0
    assert stat.S_IMODE(export.stat().st_mode) == 0o600
    wiped = run(["forget", "--all", "--yes"], cli_env)
    assert wiped.returncode == 0, wiped.stderr
    assert str(export) in wiped.stderr  # the export still holds it: named, not deleted
    assert json.loads(run(["memory", "list", "--all", "--json"], cli_env).stdout) == []
    assert traces(app_dirs(home), MARKER) == []

    imported = json.loads(run(["memory", "import", str(export), "--json"], cli_env).stdout)
    assert imported == {"added": len(before), "present": 0}
    after = json.loads(run(["memory", "list", "--all", "--json"], cli_env).stdout)
    assert after == before  # ids, texts, kinds, statuses, provenance, links, times
    assert {
        m["id"]: run(["memory", "history", m["id"], "--json"], cli_env).stdout for m in after
    } == (history)
    again = json.loads(run(["memory", "import", str(export), "--json"], cli_env).stdout)
    assert again == {"added": 0, "present": len(before)}
    assert json.loads(run(["memory", "list", "--all", "--json"], cli_env).stdout) == before
    recalled = json.loads(run(["recall", "where do I live?", "--json"], cli_env).stdout)
    assert recalled["hits"][0]["text"] == "The user lives in Lisbon."  # embeddings came back

    removed = run(["forget", "--all", "--yes", "--include-exports"], cli_env)
    assert removed.returncode == 0, removed.stderr
    assert not export.exists()


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("not json", "is not JSON"),
        ('{"format": "something else"}', "is not a memory export"),
        ('{"format": "assistant-memories", "version": 1, "memories": [{"id": "x"}]}', "memory 1"),
    ],
)
def test_a_bad_memory_file_is_refused_and_changes_nothing(
    cli_env: dict[str, str], tmp_path: Path, content: str, fragment: str
) -> None:
    run(["memory", "add", "The user likes tea"], cli_env)
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert_clean_error(run(["memory", "import", str(bad)], cli_env), fragment)
    texts = [m["text"] for m in json.loads(run(["memory", "list", "--json"], cli_env).stdout)]
    assert texts == ["The user likes tea"]


@pytest.fixture(scope="module")
def guarded_session(tmp_path_factory: pytest.TempPathFactory, gguf_path: Path) -> tuple[Path, Path]:
    """A whole CLI session (chat, learning, recall, feedback, export, doctor) in a fresh
    home, every process under the network guard; returns (home, guard log)."""
    home = tmp_path_factory.mktemp("guarded")
    log = home.parent / f"{home.name}-network.log"
    log.touch()
    env = cli_environment(home, gguf_path)
    env["PYTHONPATH"] = os.pathsep.join([str(NETGUARD), env.get("PYTHONPATH", "")])
    env["NETGUARD_LOG"] = str(log)
    # Real processes: the guard is loaded into each one through PYTHONPATH.
    first = chat(["I am vegetarian and I live in Lisbon"], env, process=True)
    reply = chat(
        ["--conversation", str(first["conversation_id"]), "what should I cook?"],
        env,
        process=True,
    )
    message_ids = reply["message_ids"]
    assert isinstance(message_ids, dict)
    for args in (
        ["feedback", message_ids["assistant"], "down", "--reason", "too long"],
        ["recall", "where do I live?"],
        ["memory", "export", str(home / "export.json")],
        ["doctor"],
        ["learning"],
    ):
        result = run_subprocess(args, env)
        assert result.returncode == 0, (args, result.stderr)
    return home, log


@pytest.mark.parametrize(
    ("code", "logged"),
    [
        ("socket.create_connection(('192.0.2.1', 80), timeout=1)", "getaddrinfo '192.0.2.1'"),
        (
            "socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).sendto(b'x', ('2001:db8::1', 53))",
            "sendto",
        ),
        ("socket.socket().connect(('192.0.2.1', 443))", "connect ('192.0.2.1', 443)"),
    ],
)
def test_the_guard_catches_a_connection_attempt(tmp_path: Path, code: str, logged: str) -> None:
    """The no-network test can fail: the same guard logs and refuses a real attempt."""
    log = tmp_path / "network.log"
    env = dict(os.environ, PYTHONPATH=str(NETGUARD), NETGUARD_LOG=str(log))
    result = subprocess.run(  # noqa: PLW1510
        [sys.executable, "-c", f"import socket; {code}"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "blocked by the test" in result.stderr
    assert logged in log.read_text()


def test_a_full_session_attempts_no_network_connection(guarded_session: tuple[Path, Path]) -> None:
    home, log = guarded_session
    assert (home / "data").is_dir()  # the session really ran in this home
    assert log.read_text() == ""


def test_every_file_the_app_writes_is_private(guarded_session: tuple[Path, Path]) -> None:
    home, _ = guarded_session
    found = [p for root in app_dirs(home) if root.exists() for p in [root, *root.rglob("*")]]
    assert any(p.suffix == ".lance" for p in found)  # the store, the log, the model...
    too_open = [
        f"{oct(stat.S_IMODE(p.stat().st_mode))} {p}"
        for p in found
        if not p.is_symlink() and stat.S_IMODE(p.stat().st_mode) & 0o077
    ]
    assert too_open == []
    assert stat.S_IMODE((home / "data").stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "data" / "assistant.log").stat().st_mode) == 0o600
