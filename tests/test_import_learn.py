"""`assistant import FILE --learn`: memories from the user's own imported turns only."""

import json
from pathlib import Path

import pytest

from assistant.compose import build_assistant, load_environment
from assistant.embedder import SentenceEmbedder
from tests.bench.report import DATA
from tests.cli_helpers import run
from tests.erasure import traces

pytestmark = pytest.mark.real

HISTORY = [
    ("c1", "c1:1", "user", "We adopted another puppy called Pixie yesterday!"),
    ("c1", "c1:2", "assistant", "Congratulations! I have a dog named Rex who loves puppies."),
    ("c1", "c1:3", "user", "Thanks! I also started learning the cello in January."),
    ("c1", "c1:4", "assistant", "I moved to Berlin last year and I play the violin."),
    ("c2", "c2:1", "user", "Bye, talk to you later!"),
    ("c2", "c2:2", "assistant", "Remember that my favourite colour is green."),
]


def write_history(tmp_path: Path) -> Path:
    path = tmp_path / "history.jsonl"
    rows = [
        {"conversation_id": c, "id": i, "role": r, "content": t, "created_at": "2024-04-17T18:30"}
        for c, i, r, t in HISTORY
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_import_learn_reads_only_user_turns_and_is_idempotent(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    history = write_history(tmp_path)
    plain = run(["import", str(history), "--json"], cli_env)
    assert plain.returncode == 0, plain.stderr
    assert json.loads(run(["memory", "list", "--json"], cli_env).stdout) == []

    learned = run(["import", str(history), "--learn", "--json"], cli_env)
    assert learned.returncode == 0, learned.stderr
    summary = json.loads(learned.stdout)
    assert summary["messages"] == 0 and summary["learned"] >= 2
    memories = json.loads(run(["memory", "list", "--json"], cli_env).stdout)
    user_turns = {i for _, i, role, _ in HISTORY if role == "user"}
    assert memories and all(set(m["source_ids"]) <= user_turns for m in memories)
    texts = " ".join(m["text"] for m in memories)
    assert "Pixie on 16 April 2024" in texts and "cello" in texts
    for never in ("Rex", "Berlin", "violin", "green", "Bye"):
        assert never not in texts  # the assistant's words and farewells teach nothing

    again = json.loads(run(["import", str(history), "--learn", "--json"], cli_env).stdout)
    assert again["learned"] == 0
    assert json.loads(run(["memory", "list", "--json"], cli_env).stdout) == memories


def test_a_forgotten_memory_is_not_relearned_by_importing_again(
    cli_env: dict[str, str], home: Path, tmp_path: Path
) -> None:
    history = write_history(tmp_path)
    run(["import", str(history), "--learn", "--json"], cli_env)
    memories = json.loads(run(["memory", "list", "--json"], cli_env).stdout)
    [pixie] = [m for m in memories if "Pixie" in m["text"]]
    forgot = run(["memory", "forget", pixie["id"], "--yes"], cli_env)
    assert forgot.returncode == 0, forgot.stderr

    again = json.loads(run(["import", str(history), "--learn", "--json"], cli_env).stdout)
    assert again["learned"] == 0
    left = json.loads(run(["memory", "list", "--json"], cli_env).stdout)
    assert [m["id"] for m in left] == [m["id"] for m in memories if m["id"] != pixie["id"]]
    # What keeps it forgotten is a fingerprint of the message id, never the memory's text.
    assert traces([home], pixie["text"]) == []


def test_import_learn_on_a_dev_conversation(
    home: Path, embedder: SentenceEmbedder, tmp_path: Path
) -> None:
    rows = [
        json.loads(line)
        for line in (DATA / "chats.jsonl").read_text().splitlines()
        if line.startswith('{"conversation_id": "locomo-26-s')
    ]
    rows = [r for r in rows if int(r["conversation_id"].rsplit("-s", 1)[1]) <= 4]
    history = tmp_path / "locomo-26.jsonl"
    history.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assistant = build_assistant(load_environment(), embedder=embedder)
    lines: list[str] = []
    summary = assistant.import_history(history, lines.append, learn=True)
    assert summary.learned >= 5
    assert any(line.startswith("Learning from your messages") for line in lines)
    user_turns = {r["id"] for r in rows if r["role"] == "user"}
    memories = assistant.memories()
    assert memories and all(set(m.source_ids) <= user_turns for m in memories)
    assert any("support group on 7 May 2023" in m.text for m in memories)
