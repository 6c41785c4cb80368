"""The `assistant` command on the real model and store: its `main` run in this process
(`run`), and the installed script as a real subprocess where the process
itself is what is tested (`EXE`)."""

import io
import json
import os
import subprocess
from pathlib import Path

import pytest

from assistant.cli.chat import ReplyPrinter
from assistant.core.settings import DEFAULT_SYSTEM_PROMPT, Settings
from assistant.llm.default_model import SMOLLM2_FILE
from tests.cli_helpers import EXE, assert_clean_error, run

pytestmark = pytest.mark.real


def test_stdin_chat_on_the_embedded_default(home: Path) -> None:
    """A newcomer's first chat, with every setting at its default: a reply that is an
    answer, not the prompt echoed back, and that ends on its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env |= {"ASSISTANT_HOME": str(home), "ASSISTANT_SEED": "7"}  # default sampling, one seed
    question = b"Hi! Can you suggest a name for my new puppy?\n"
    result = run(["chat"], env, stdin=question)
    assert result.returncode == 0, result.stderr
    reply = result.stdout.strip()
    assert reply and DEFAULT_SYSTEM_PROMPT[:40] not in reply
    assert "<|im_start|>" not in reply and "<|im_end|>" not in reply
    turn = json.loads(run(["chat", "--json", "-"], env, stdin=question).stdout)
    assert 0 < turn["usage"]["completion_tokens"] < Settings().max_tokens  # ended on its own
    assert (home / "cache" / "models" / f"{SMOLLM2_FILE}.verified").exists()


def test_json_turns_continue_one_conversation(cli_env: dict[str, str]) -> None:
    first = run(["chat", "--json", "hi"], cli_env)
    assert first.returncode == 0, first.stderr
    one = json.loads(first.stdout)
    assert one["reply"] and one["message_ids"]["user"] and one["message_ids"]["assistant"]
    assert one["usage"]["completion_tokens"] > 0
    assert one["ended_by"] in {"", "loop", "echo", "brevity"}
    assert one["converted_units"] == 0  # no unit preference was stated
    assert set(one["context"]) == {"preferences", "memories", "messages", "documents"}
    second = run(["chat", "--json", "--conversation", one["conversation_id"], "and again"], cli_env)
    assert second.returncode == 0, second.stderr
    two = json.loads(second.stdout)
    assert two["conversation_id"] == one["conversation_id"]
    shown = run(["conversations", "show", one["conversation_id"], "--json"], cli_env)
    messages = json.loads(shown.stdout)
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert [m["content"] for m in messages][::2] == ["hi", "and again"]
    listed = json.loads(run(["conversations", "list", "--json"], cli_env).stdout)
    assert [(c["id"], c["messages"]) for c in listed] == [(one["conversation_id"], 4)]


def test_paths_json(cli_env: dict[str, str], home: Path) -> None:
    result = run(["paths", "--json"], cli_env)
    paths = json.loads(result.stdout)
    assert set(paths) == {"config", "data", "cache", "models"}
    assert all(p.startswith(str(home)) for p in paths.values())


def test_version_names_the_build(cli_env: dict[str, str]) -> None:
    result = run(["--version"], cli_env)
    assert result.returncode == 0
    assert "llama.cpp build:" in result.stdout and "GPU offload" in result.stdout


def test_missing_model(cli_env: dict[str, str], tmp_path: Path) -> None:
    result = run(["chat", "--model", str(tmp_path / "missing.gguf"), "hi"], cli_env)
    assert_clean_error(result, "not found")


def test_file_that_is_not_gguf(cli_env: dict[str, str], tmp_path: Path) -> None:
    bogus = tmp_path / "notes.gguf"
    bogus.write_text("just some text, not a model at all")
    assert_clean_error(run(["chat", "--model", str(bogus), "hi"], cli_env), "not a GGUF")


def test_truncated_gguf(cli_env: dict[str, str], gguf_path: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(gguf_path.read_bytes()[:10_000_000])
    assert_clean_error(run(["chat", "--model", str(cut), "hi"], cli_env), "truncated")


@pytest.mark.parametrize(
    ("stdin", "fragment"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"\xff\xfe\x00\x01binary", "not UTF-8"),
        (b"a\x00b", "binary"),
    ],
)
def test_bad_stdin(cli_env: dict[str, str], stdin: bytes, fragment: str) -> None:
    assert_clean_error(run(["chat", "-"], cli_env, stdin=stdin), fragment)


def test_huge_paste_is_refused_cleanly(cli_env: dict[str, str]) -> None:
    result = run(["chat"], cli_env, stdin=b"lorem ipsum " * 90_000)  # ~1 MB
    assert_clean_error(result, "too long")
    listed = json.loads(run(["conversations", "list", "--json"], cli_env).stdout)
    assert listed == []  # nothing half-stored


def test_bad_config_names_key_and_file(cli_env: dict[str, str], home: Path) -> None:
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("temprature = 0.5\n")
    result = run(["chat", "hi"], cli_env)
    assert_clean_error(result, "temprature")
    assert str(config) in result.stderr


def test_unknown_conversation(cli_env: dict[str, str]) -> None:
    assert_clean_error(run(["chat", "--conversation", "nope", "hi"], cli_env), "no conversation")


def test_doctor_passes_on_the_real_stack(cli_env: dict[str, str]) -> None:
    result = run(["doctor"], cli_env)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("model", "store", "embedder", "gpu", "disk"):
        assert any(line.startswith("ok") and name in line for line in result.stdout.splitlines())
    assert "384 dimensions" in result.stdout
    assert "on onnxruntime" in result.stdout  # `make setup` exported the graph
    [disk] = [line for line in result.stdout.splitlines() if "disk" in line]
    assert "store " in disk and "log " in disk and "free" in disk  # sizes a user can act on


def test_doctor_fails_with_reason(cli_env: dict[str, str], tmp_path: Path) -> None:
    result = run(["doctor", "--model", str(tmp_path / "gone.gguf")], cli_env)
    assert result.returncode == 1
    assert "FAIL model" in result.stdout and "not found" in result.stdout


HISTORY = [
    {
        "conversation_id": "c1",
        "id": "c1:1",
        "role": "user",
        "speaker": "Ana",
        "content": "We booked the cabin in the Alps for the second week of March.",
        "created_at": "2026-01-10T10:00:00",
    },
    {
        "conversation_id": "c1",
        "id": "c1:2",
        "role": "assistant",
        "speaker": "Bot",
        "content": "Great, the Alps cabin is noted.",
        "created_at": "2026-01-10T10:01:00",
    },
    {
        "conversation_id": "c2",
        "id": "c2:1",
        "role": "user",
        "speaker": "Ana",
        "content": "My bike needs new brakes.",
        "created_at": "2026-02-01T09:00:00",
    },
]


def test_import_is_idempotent_and_recall_finds_it(cli_env: dict[str, str], tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    history.write_text("\n".join(json.dumps(row) for row in HISTORY) + "\n")
    first = run(["import", str(history), "--json"], cli_env)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {"conversations": 2, "messages": 3, "skipped": 0}
    again = json.loads(run(["import", str(history), "--json"], cli_env).stdout)
    assert again == {"conversations": 0, "messages": 0, "skipped": 3}
    recall = json.loads(
        run(["recall", "where is the holiday cabin?", "--json", "--k", "2"], cli_env).stdout
    )
    assert {h["id"] for h in recall["hits"]} == {"c1:1", "c1:2"}
    assert all(h["source_ids"] == [h["id"]] for h in recall["hits"])
    assert (
        run(["memory", "list", "--json"], cli_env).stdout.strip() == "[]"
    )  # import teaches nothing
    queries = tmp_path / "q.txt"
    queries.write_text("bike repair\nmountain trip\n")
    lines = run(["recall", "--queries", str(queries), "--json", "--k", "1"], cli_env).stdout
    answers = [json.loads(line) for line in lines.splitlines()]
    assert [a["query"] for a in answers] == ["bike repair", "mountain trip"]
    assert [a["hits"][0]["id"] for a in answers] == ["c2:1", "c1:1"]


def test_memory_commands(cli_env: dict[str, str]) -> None:
    added = json.loads(
        run(["memory", "add", "The user's locker code is 4471", "--json"], cli_env).stdout
    )
    listed = json.loads(run(["memory", "list", "--json"], cli_env).stdout)
    assert [(m["id"], m["text"], m["status"]) for m in listed] == [
        (added["id"], "The user's locker code is 4471", "active")
    ]
    refused = run(["memory", "forget", added["id"]], cli_env, stdin=b"")
    assert_clean_error(refused, "confirmation")
    everything = run(["memory", "forget", "--query", " ", "--yes"], cli_env)
    assert_clean_error(everything, "needs some text")  # a blank query would match all
    unknown = run(["memory", "forget", "--query", "passport", "--yes"], cli_env)
    assert_clean_error(unknown, "no memory contains 'passport'")
    gone = run(["memory", "forget", "--query", "locker", "--yes"], cli_env)
    assert gone.returncode == 0, gone.stderr
    assert json.loads(run(["memory", "list", "--json"], cli_env).stdout) == []


def test_chat_json_reports_learning_and_context(cli_env: dict[str, str]) -> None:
    taught = json.loads(
        run(["chat", "--json", "I'm vegetarian and I live in Lisbon"], cli_env).stdout
    )
    assert {m["text"] for m in taught["learned"]} == {
        "The user is vegetarian.",
        "The user lives in Lisbon.",
    }
    cook = json.loads(run(["chat", "--json", "what should I cook tonight?"], cli_env).stdout)
    assert "The user is vegetarian." in [p["text"] for p in cook["context"]["preferences"]]
    assert cook["learned"] == []
    pizza = json.loads(run(["chat", "--json", "Do you like pizza?"], cli_env).stdout)
    assert pizza["learned"] == []


def test_ctrl_c_stops_the_reply_and_keeps_it(cli_env: dict[str, str]) -> None:
    import signal

    env = cli_env | {"ASSISTANT_MAX_TOKENS": "400", "ASSISTANT_LEARNING": "off"}
    proc = subprocess.Popen(
        [EXE, "chat", "Count from one to five hundred, one number per line."],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None
    first = os.read(proc.stdout.fileno(), 1)  # unbuffered: the reply has started streaming
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert b"(stopped)" in err and b"Traceback" not in err
    [conversation] = json.loads(run(["conversations", "list", "--json"], env).stdout)
    shown = json.loads(run(["conversations", "show", conversation["id"], "--json"], env).stdout)
    assert [m["role"] for m in shown] == ["user", "assistant"]
    assert shown[1]["content"] == (first + out).decode().strip()


def test_incognito_chat_leaves_no_trace(cli_env: dict[str, str]) -> None:
    result = run(["chat", "--incognito", "--json", "I'm vegetarian"], cli_env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["learned"] == []
    assert json.loads(run(["conversations", "list", "--json"], cli_env).stdout) == []
    assert json.loads(run(["memory", "list", "--json"], cli_env).stdout) == []


def test_a_correction_reaches_a_paraphrase_in_a_new_conversation(cli_env: dict[str, str]) -> None:
    asked = json.loads(run(["chat", "--json", "What is the capital of Australia?"], cli_env).stdout)
    reply_id = asked["message_ids"]["assistant"]
    corrected = run(["correct", reply_id, "Canberra", "--json"], cli_env)
    assert corrected.returncode == 0, corrected.stderr
    [memory] = json.loads(corrected.stdout)["learned"]
    assert memory["kind"] == "correction" and "Canberra" in memory["text"]

    probe = json.loads(
        run(["chat", "--json", "Which city is Australia's capital?"], cli_env).stdout
    )
    assert probe["conversation_id"] != asked["conversation_id"]
    assert memory["id"] in [m["id"] for m in probe["context"]["memories"]]

    report = json.loads(run(["learning", "--json"], cli_env).stdout)
    assert report["totals"]["corrections"] == 1
    repeat = report["repeat_mistakes"]
    assert repeat["similar_questions"] == 1
    carried = "canberra" in probe["reply"].lower()
    assert (repeat["with_correction"], repeat["adoption"]) == (int(carried), float(carried))
    shown = run(["learning"], cli_env).stdout
    assert f"corrections in answers: {100 * carried}%" in shown


def test_feedback_on_a_user_message_is_refused(cli_env: dict[str, str]) -> None:
    turn = json.loads(run(["chat", "--json", "Hello there"], cli_env).stdout)
    assert_clean_error(run(["feedback", turn["message_ids"]["user"], "up"], cli_env), "not a reply")
    off = cli_env | {"ASSISTANT_LEARNING": "memory"}
    assert_clean_error(
        run(["feedback", turn["message_ids"]["assistant"], "up"], off), "learning level"
    )


@pytest.mark.parametrize(
    ("terminal", "first", "expected"),
    [
        # A terminal erases the withdrawn words: back to the start of their line, clear.
        (True, "I'm a", "I'm a\r\033[JHappy birthday!"),
        (True, "Sure!\n\nI'm", "Sure!\n\nI'm\033[2F\033[JHappy birthday!"),
        # A pipe cannot take text back: the second try starts on a line of its own.
        (False, "I'm a", "I'm a\nHappy birthday!"),
    ],
)
def test_a_withdrawn_first_try_is_erased_on_a_terminal(
    terminal: bool, first: str, expected: str
) -> None:
    out = io.StringIO()
    printer = ReplyPrinter(out, terminal)
    printer.delta(first)
    printer.restart()
    printer.delta("Happy birthday!")
    assert out.getvalue() == expected
    printer.restart()  # what the second try showed is taken back the same way
    printer.restart()  # and with nothing shown since, there is nothing to take back
    assert out.getvalue().count("\033[J" if terminal else "\n") == 2
