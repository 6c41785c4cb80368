"""Conversation exports: the pure renderers (golden), the atomic writer, and the
`assistant conversations export` command as a real subprocess on a real store."""

import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.compose import Environment, build_assistant
from assistant.core import TurnFinished
from assistant.core.errors import InputError
from assistant.core.formats.transcript import (
    file_name,
    render,
    to_json,
    to_markdown,
)
from assistant.core.records import Conversation, Message
from assistant.embedder import Embedder
from assistant.llm.fake import ScriptedBackend
from assistant.weights.ledger import save_transcript, written_exports
from tests.cli_helpers import assert_clean_error, run

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
T1 = datetime(2026, 3, 1, 9, 31, tzinfo=UTC)
CONVERSATION = Conversation("c0ffee1234", "Trip to Lisbon?", "Be brief.\nUse metric.", T0, T1, 2)
MESSAGES = [
    Message("m1", "c0ffee1234", "user", "Plan a day in Lisbon — tram 28?", T0),
    Message("m2", "c0ffee1234", "assistant", "Sure:\n\n```\n9:00 tram\n```\n", T1, model="gemma"),
]

GOLDEN_MD = """\
# Trip to Lisbon?

- Conversation: `c0ffee1234`
- Started: 2026-03-01 09:30 UTC

System prompt:

> Be brief.
> Use metric.

## You · 2026-03-01 09:30 UTC

Plan a day in Lisbon — tram 28?

## Assistant (gemma) · 2026-03-01 09:31 UTC

Sure:

```
9:00 tram
```
"""


def test_markdown_is_golden() -> None:
    assert to_markdown(CONVERSATION, MESSAGES) == GOLDEN_MD
    assert render(CONVERSATION, MESSAGES, "md") == GOLDEN_MD


def test_json_keeps_every_field_and_the_text_unescaped() -> None:
    text = to_json(CONVERSATION, MESSAGES)
    assert "Lisbon — tram" in text  # readable, not \u2014
    document = json.loads(text)
    assert document["format"] == "assistant-conversation" and document["version"] == 1
    assert document["conversation"] == {
        "id": "c0ffee1234",
        "title": "Trip to Lisbon?",
        "system_prompt": "Be brief.\nUse metric.",
        "created_at": "2026-03-01T09:30:00+00:00",
        "updated_at": "2026-03-01T09:31:00+00:00",
    }
    assert [(m["id"], m["role"], m["content"], m["model"]) for m in document["messages"]] == [
        ("m1", "user", MESSAGES[0].content, ""),
        ("m2", "assistant", MESSAGES[1].content, "gemma"),
    ]
    assert render(CONVERSATION, MESSAGES, "json") == text


def test_an_unknown_format_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown export format 'pdf'"):
        render(CONVERSATION, MESSAGES, "pdf")


def test_file_names_are_readable_and_safe() -> None:
    assert file_name(CONVERSATION, "md") == "trip-to-lisbon-c0ffee12.md"
    odd = Conversation("abcdef0123", "../../etc/passwd ???", "", T0, T0)
    assert file_name(odd, "json") == "etc-passwd-abcdef01.json"
    empty = Conversation("abcdef0123", "—", "", T0, T0)
    assert file_name(empty, "md") == "conversation-abcdef01.md"


def test_save_is_private_atomic_and_recorded(env: Environment, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "chat.md"
    out.write_text("old")
    save_transcript(env.paths, out, GOLDEN_MD)
    assert out.read_text("utf-8") == GOLDEN_MD
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [p.name for p in folder.iterdir()] == ["chat.md"]  # no temporary file left
    assert out.resolve() in written_exports(env.paths)  # a later delete names this copy
    with pytest.raises(InputError, match="is a folder"):
        save_transcript(env.paths, folder, GOLDEN_MD)
    with pytest.raises(InputError, match="cannot write"):
        save_transcript(env.paths, folder / "missing" / "chat.md", GOLDEN_MD)


def _stored_conversation(env: Environment, embedder: Embedder) -> str:
    fake = ScriptedBackend()
    fake.enqueue("Line one\n\n- a point")
    assistant = build_assistant(env, fake, embedder)
    assistant.load()
    events = list(assistant.send("Summarise my week, please"))
    finished = events[-1]
    assert isinstance(finished, TurnFinished)
    return finished.conversation.id


@pytest.mark.real
def test_cli_exports_markdown_to_stdout_and_json_to_a_file(
    env: Environment, embedder: Embedder, home: Path, tmp_path: Path
) -> None:
    conversation_id = _stored_conversation(env, embedder)
    cli_env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    cli_env["ASSISTANT_HOME"] = str(home)
    cli_env["PYTHONIOENCODING"] = "ascii"  # an ASCII stdout: the export is UTF-8 all the same
    shown = run(["conversations", "export", conversation_id], cli_env)
    assert shown.returncode == 0, shown.stderr
    markdown = shown.stdout.encode("latin-1").decode("utf-8")
    assert markdown.startswith("# Summarise my week, please\n")
    assert "## You · " in markdown and "\nLine one\n\n- a point\n" in markdown

    out = tmp_path / "week.json"
    written = run(
        ["conversations", "export", conversation_id, "--format", "json", "--out", str(out)],
        cli_env,
    )
    assert written.returncode == 0, written.stderr
    assert written.stdout == ""  # the file, not stdout, holds the export
    assert str(out) in written.stderr
    document = json.loads(out.read_text("utf-8"))
    assert document["conversation"]["id"] == conversation_id
    assert [m["content"] for m in document["messages"]] == [
        "Summarise my week, please",
        "Line one\n\n- a point",
    ]

    missing = run(["conversations", "export", "no-such-id"], cli_env)
    assert_clean_error(missing, "no conversation with id no-such-id")
    assert missing.stdout == ""
    folder = run(["conversations", "export", conversation_id, "--out", str(tmp_path)], cli_env)
    assert_clean_error(folder, "is a folder")
