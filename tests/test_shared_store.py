"""Processes sharing one home through the user's own paths: every acknowledged write stays.

Unlike tests/test_concurrency.py, which writes through the store adapter, these run
what users run: `Assistant.remember` with its duplicate, supersede and erase paths
(tests/assistant_writer.py), `assistant memory add` in a loop, and `assistant chat`
with learning, all against one home at the same time. Then every acknowledged memory is
stored, in the status its writer left it, and every forgotten one is gone from disk.
"""

import json
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.compose import build_assistant, load_environment
from assistant.core import ALL_MEMORY_STATUSES
from assistant.core.records import Memory
from assistant.embedder import SentenceEmbedder
from tests.cli_helpers import EXE, run
from tests.erasure import traces
from tests.test_crash import _kill_after, _open_soundly

pytestmark = pytest.mark.real


def _writer(home: Path, tag: str, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.assistant_writer", str(home), tag, str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _acks(lines: list[str]) -> dict[str, list[str]]:
    """The writer's acknowledgements by action: added, reinforced, colour, forgot."""
    acks: dict[str, list[str]] = {}
    for line in lines:
        action, _, memory_id = line.partition(" ")
        acks.setdefault(action, []).append(memory_id)
    return acks


def _stored(home: Path, embedder: SentenceEmbedder) -> dict[str, Memory]:
    assistant = build_assistant(load_environment(), embedder=embedder)
    return {m.id: m for m in assistant.memories(ALL_MEMORY_STATUSES)}


def test_a_writer_the_cli_and_a_chat_at_once_lose_no_acknowledged_write(
    home: Path, cli_env: dict[str, str], embedder: SentenceEmbedder
) -> None:
    writer = _writer(home, "kayak", 12)
    chat = subprocess.Popen(
        [EXE, "chat", "--json", "I'm vegetarian and I live in Lisbon."],
        env=cli_env | {"ASSISTANT_LEARNING": "full"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    cli_acked, refused = [], []
    try:
        for i in range(6):
            text = f"Violin writer fact number {i} about its hobby"
            added = run(["memory", "add", text], cli_env)
            if added.returncode:
                refused.append(added.stderr)
            cli_acked.append(added.stdout.split()[-1] if added.stdout else "")
    finally:
        out, err = writer.communicate(timeout=600)
        chat_out, chat_err = chat.communicate(timeout=600)
    assert refused == []  # never refused, never "disk full"
    assert writer.returncode == 0, err
    assert chat.returncode == 0, chat_err

    acks = _acks(out.splitlines()[1:-1])
    learned = [m["id"] for m in json.loads(chat_out)["learned"]]
    stored = _stored(home, embedder)
    assert len(acks["added"]) == 12 and len(set(acks["added"])) == 12  # twelve facts, twelve
    assert set(acks["added"]) | set(cli_acked) | set(learned) <= set(stored)
    assert len(set(cli_acked)) == 6  # "number 3" is not a duplicate of "number 2"
    assert learned  # the chat's own learning was stored beside the two writers
    # A fact stated again reinforced the memory it repeated, adding none.
    assert set(acks["reinforced"]) <= set(acks["added"])
    # Each colour superseded the one before it: only the latest is active.
    colours = [stored[i] for i in acks["colour"]]
    assert [m.status for m in colours] == ["superseded"] * (len(colours) - 1) + ["active"]
    # Forgotten scratch notes are gone from the store and from every byte on disk.
    assert not set(acks["forgot"]) & set(stored)
    assert traces([home], "scratch note 4 to forget") == []


def test_killing_a_writer_mid_step_loses_nothing_the_other_writes(
    home: Path,
    cli_env: dict[str, str],
    embedder: SentenceEmbedder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    rng = random.Random(20261206)
    first = run(["memory", "add", "The store exists before the writers start"], cli_env)
    assert first.returncode == 0, first.stderr
    acked: dict[str, list[str]] = {}
    cli_acked = []
    for round_ in range(3):
        victim = _writer(home, f"round{round_}", 400)  # alive until killed
        assert victim.stdout is not None and victim.stdout.readline().strip() == "ready"
        # The survivor keeps writing through the CLI while the victim writes and dies.
        for i in range(2):
            added = run(["memory", "add", f"Survivor fact {round_}.{i} about cellos"], cli_env)
            assert added.returncode == 0, added.stderr
            cli_acked.append(added.stdout.split()[-1])
        lines = _kill_after(victim, rng.randint(1, 8), rng.uniform(0, 0.3))
        assert victim.returncode == -signal.SIGKILL
        for action, ids in _acks(lines).items():
            acked.setdefault(action, []).extend(ids)

    _open_soundly(home / "data" / "store", caplog)  # opens with no repair needed
    stored = _stored(home, embedder)
    assert set(acked["added"]) | set(cli_acked) <= set(stored)
    assert not set(acked.get("forgot", [])) & set(stored)
    assert len(acked["added"]) >= 3  # the kills landed after some steps, not before all
