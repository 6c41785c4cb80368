"""Property tests for every parser of outside input: no traceback, only a clear error.

Import files, memory exports, command lines and the model's JSON all come from outside
the program. Whatever they hold, the only allowed outcomes are a parsed result or an
`InputError` with a message and a hint (for the CLI: an exit code and no traceback).
Examples that once crashed a parser are kept as explicit `@example` regressions.
Hypothesis runs derandomized, so CI sees the same examples on every run.
"""

import argparse
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from assistant import cli
from assistant.compose import Environment, build_assistant, load_environment
from assistant.core import ALL_MEMORY_STATUSES
from assistant.core.errors import InputError
from assistant.core.formats.history import ImportBatch, read_history
from assistant.core.formats.memory_file import FORMAT, VERSION, read_memory_file
from assistant.core.learning.extract import Candidate, extract_rules
from assistant.core.learning.llm_extract import ExtractionStats, parse_proposals
from assistant.core.records import MEMORY_KINDS
from assistant.embedder import SentenceEmbedder
from assistant.llm.fake import ScriptedBackend

FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None)

DEEP = "[" * 50_000
ISO = "2024-05-01T12:00:00"

# JSON values of every type, with a bias toward the strings the parsers look for.
words = st.sampled_from(["user", "assistant", "system", "text", "", " ", ISO, "\ud800", "c1"])
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    # NaN and Infinity included: Python's json reads and writes them. No subnormals: a
    # test worker that has loaded a library built with -ffast-math (llama.cpp's ggml, in
    # the in-process model tests) flushes them to zero for the whole process, and then
    # hypothesis refuses to draw them; the parsers treat them as any other float.
    | st.floats(allow_subnormal=False)
    | st.text(max_size=20)
    | words
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


junk = words | json_values | st.sampled_from([ISO + "+14:00", "0001-01-01T00:00:00+14:00"])
DELETE = object()


def _mutated(valid: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """A well-formed object with up to two fields replaced by junk, removed, or added.

    Mostly-valid input reaches the deep checks; fully random structures stop at the first.
    """
    names = st.just("junk") | valid.flatmap(lambda item: st.sampled_from(sorted(item)))
    edits = st.lists(st.tuples(names, st.just(DELETE) | junk), max_size=2)

    def apply(pair: tuple[dict[str, Any], list[tuple[str, Any]]]) -> dict[str, Any]:
        item, changes = pair
        for name, value in changes:
            if value is DELETE:
                item.pop(name, None)
            else:
                item[name] = value
        return item

    return st.tuples(valid, edits).map(apply)


ids = st.text("abc123", min_size=1, max_size=3)
times = st.sampled_from([ISO, "2024-05-01", "2024-05-01T12:00:00+02:00", "2024-05-01 12:00Z"])
texts = st.text(max_size=30) | st.sampled_from(["hello", "  ", "I prefer tea."])
jsonl_rows = _mutated(
    st.fixed_dictionaries(
        {
            "conversation_id": st.sampled_from(["c1", "c2"]),
            "id": ids,
            "role": st.sampled_from(["user", "assistant", "system"]),
            "content": texts,
            "created_at": times,
        },
        optional={"speaker": st.sampled_from(["", "Sam"])},
    )
)
nodes = st.sampled_from(["n0", "n1", "n2", "n3"])
epochs = (
    st.floats(1e9, 2e9, allow_subnormal=False)
    | st.integers(1_000_000_000, 2_000_000_000)
    | st.none()
)
chatgpt_messages = _mutated(
    st.fixed_dictionaries(
        {
            "id": ids,
            "author": st.fixed_dictionaries(
                {"role": st.sampled_from(["user", "assistant", "tool"])}
            ),
            "content": st.fixed_dictionaries(
                {"content_type": st.just("text"), "parts": st.lists(texts | junk, max_size=2)}
            ),
            "create_time": epochs,
        }
    )
)
chatgpt_nodes = _mutated(st.fixed_dictionaries({"message": chatgpt_messages, "parent": nodes}))
chatgpt_conversations = _mutated(
    st.fixed_dictionaries(
        {
            "id": ids,
            "title": texts,
            "create_time": epochs,
            "current_node": nodes,
            "mapping": st.dictionaries(nodes, chatgpt_nodes, max_size=4),
        }
    )
)
floats = st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=False, width=32)
memory_events = _mutated(
    st.fixed_dictionaries(
        {
            "id": ids,
            "action": st.sampled_from(["add", "edit"]),
            "at": times,
            "reason": texts,
            "source_ids": st.lists(ids, max_size=2),
            "detail": texts,
        }
    )
)
memory_items = _mutated(
    st.fixed_dictionaries(
        {
            "id": ids,
            "kind": st.sampled_from(MEMORY_KINDS),
            "text": texts,
            "key": texts,
            "status": st.sampled_from(ALL_MEMORY_STATUSES),
            "source_ids": st.lists(ids, max_size=2),
            "created_at": times,
            "updated_at": times,
            "last_used_at": times | st.none(),
            "use_count": st.integers(0, 10),
            "supersedes": st.just(""),
            "superseded_by": st.just(""),
            "confidence": floats,
            "events": st.lists(memory_events, max_size=2),
            "vector": st.lists(floats, max_size=4),
        }
    )
)


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    """One file rewritten per example (hypothesis and function-scoped tmp_path don't mix)."""
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder) / "input"


def _read_history_or_error(path: Path) -> None:
    try:
        batch = read_history(path)
    except InputError as exc:
        assert exc.message.strip()
        assert exc.hint.strip()
        return
    assert isinstance(batch, ImportBatch)
    assert batch.messages
    assert {c.id for c in batch.conversations} == {m.conversation_id for m in batch.messages}
    for message in batch.messages:
        assert message.role in ("user", "assistant")
        assert message.content.strip()
        message.content.encode("utf-8")  # the store must be able to write it
        assert message.created_at.tzinfo is not None


@FUZZ
@given(data=st.binary(max_size=300))
@example(data=DEEP.encode())
@example(data=b'{"a":' * 50_000)
def test_import_survives_any_bytes(scratch: Path, data: bytes) -> None:
    scratch.write_bytes(data)
    _read_history_or_error(scratch)


@FUZZ
@given(rows=st.lists(jsonl_rows | json_values, min_size=1, max_size=5))
@example(
    rows=[
        {"conversation_id": "c", "id": "a", "role": "user", "content": "x"}
        | {"created_at": "0001-01-01T00:00:00+14:00"}
    ]
)
@example(
    rows=[
        {"conversation_id": "c", "id": "\ud800", "role": "user", "content": "x"}
        | {"created_at": ISO}
    ]
)
def test_import_jsonl_survives_any_rows(scratch: Path, rows: list[Any]) -> None:
    text = "\n".join(json.dumps(row) for row in rows)
    if text.lstrip().startswith("["):
        text = "\n" + text.lstrip()  # still JSONL: a ChatGPT export is what starts with [
    scratch.write_text(text, encoding="utf-8")
    _read_history_or_error(scratch)


@FUZZ
@given(conversations=st.lists(chatgpt_conversations | json_values, max_size=3))
def test_import_chatgpt_survives_any_structure(scratch: Path, conversations: list[Any]) -> None:
    scratch.write_text(json.dumps(conversations), encoding="utf-8")
    _read_history_or_error(scratch)


def _read_memories_or_error(path: Path) -> None:
    try:
        snapshots = read_memory_file(path)
    except InputError as exc:
        assert exc.message.strip()
        assert exc.hint.strip()
        return
    for snapshot in snapshots:
        assert snapshot.memory.kind in MEMORY_KINDS
        assert snapshot.memory.status in ALL_MEMORY_STATUSES
        assert all(isinstance(x, float) for x in snapshot.vector)
        snapshot.memory.text.encode("utf-8")


@FUZZ
@given(data=st.binary(max_size=300))
@example(data=DEEP.encode())
def test_memory_file_survives_any_bytes(scratch: Path, data: bytes) -> None:
    scratch.write_bytes(data)
    _read_memories_or_error(scratch)


@FUZZ
@given(
    items=st.lists(memory_items | json_values, max_size=3),
    header=_mutated(
        st.fixed_dictionaries({"format": st.just(FORMAT), "version": st.just(VERSION)})
    ),
)
@example(
    items=[
        {"id": "m", "text": "t", "key": "", "supersedes": "", "superseded_by": ""}
        | {"kind": "fact", "status": "active", "source_ids": [], "events": [], "vector": []}
        | {"created_at": ISO, "updated_at": ISO, "last_used_at": None}
        | {"confidence": 1.0, "use_count": float("inf")}
    ],
    header={"format": FORMAT, "version": VERSION},
)
def test_memory_file_survives_any_structure(
    scratch: Path, items: list[Any], header: dict[str, Any]
) -> None:
    scratch.write_text(json.dumps(header | {"memories": items}), encoding="utf-8")
    _read_memories_or_error(scratch)


# Pieces of the phrasings the rules look for, so the fuzz reaches every rule.
STATEMENT_WORDS = [
    "I",
    "I'm",
    "I've",
    "my",
    "me",
    "call",
    "me",
    "name",
    "is",
    "are",
    "prefer",
    "like",
    "from",
    "now",
    "on",
    "never",
    "always",
    "no",
    "longer",
    "moved",
    "to",
    "work",
    "as",
    "have",
    "got",
    "vegan",
    "remember",
    "that",
    ",",
    ".",
    "?",
    ";",
    "and",
    "but",
    "'",
    '"',
    ">",
    "\n",
    "Sam",
    "tea",
]


@FUZZ
@given(
    text=st.text(max_size=300)
    | st.lists(st.sampled_from(STATEMENT_WORDS) | st.text(max_size=5), max_size=30).map(" ".join)
)
def test_rule_extraction_is_total(text: str) -> None:
    for candidate in extract_rules(text):
        assert isinstance(candidate, Candidate)
        assert candidate.kind in MEMORY_KINDS
        assert candidate.text.strip()
        assert candidate.key.strip()


proposal = _mutated(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["preference", "fact", "rule"]),
            "text": st.sampled_from(["The user likes tea", "the user  likes\ttea.", "tea"]) | texts,
        }
    )
)
proposal_json = _mutated(st.fixed_dictionaries({"memories": st.lists(proposal, max_size=5)}))


@FUZZ
@given(raw=st.text(max_size=200) | (proposal_json | json_values).map(json.dumps))
@example(raw=DEEP)
@example(raw='{"memories": ""}')  # was: iterated as an empty list, "nothing learned"
def test_llm_proposal_parsing_is_total(raw: str) -> None:
    stats = ExtractionStats()
    proposals = parse_proposals(raw, "I like tea and the user likes tea", stats)
    for candidate in proposals:
        assert candidate.kind in ("preference", "fact")
        assert candidate.text.lower().startswith("the user")
        assert candidate.text.endswith(".")
        assert candidate.key.startswith("llm:")
    if not _memories_list(raw):
        assert proposals == []
        assert stats.parse_failures == 1  # counted, never taken for "nothing learned"


def _memories_list(raw: str) -> bool:
    """Whether `raw` is the shape the schema asks for: an object holding a memories list."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return False
    return isinstance(data, dict) and isinstance(data.get("memories"), list)


# Commands that open nothing heavier than the store: the model, the embedder and the TUI
# never load in this loop (chat, import, recall, doctor, train, docs add/sync and memory
# add/edit are left out; the real-stack tests run those).
CHEAP_COMMANDS = [
    ["paths"],
    ["conversations", "list"],
    ["conversations", "show"],
    ["conversations", "delete"],
    ["memory", "list"],
    ["memory", "history"],
    ["memory", "restore"],
    ["memory", "forget"],
    ["memory", "export"],
    ["memory", "import"],
    ["rules", "list"],
    ["rules", "keep"],
    ["rules", "discard"],
    ["learning"],
    ["forget"],
    ["adapters", "list"],
    ["adapters", "disable"],
    ["docs", "list"],
    ["docs", "show"],
    ["feedback"],
]
# Arguments as a shell could pass them (no NUL), and never an absolute or nested path:
# `memory export FILE` really writes, and the fuzz must stay inside its folder.
arguments = st.text(st.characters(exclude_characters="\x00/"), max_size=12).filter(
    lambda text: not text.startswith("-")
) | st.sampled_from(["x", "5", "0", "-1", "..", ".", "", "fact", "up"])
strays = st.sampled_from(["--json", "--yes", "--all", "-", "--", "-x", "--help"]) | arguments


def _subparser(path: list[str]) -> argparse.ArgumentParser:
    parser = cli._parser()
    for name in path:
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = action.choices[name]
    return parser


def _command_lines(path: list[str]) -> st.SearchStrategy[list[str]]:
    """The command's own options (valid values or junk) and positionals, plus a stray token.

    Drawn from the real parser, so most lines get past argparse and into the command.
    """
    parser = _subparser(path)
    parts: list[st.SearchStrategy[list[str]]] = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        value = st.sampled_from(list(action.choices)) | arguments if action.choices else arguments
        if not action.option_strings:
            many = {None: (1, 1), "?": (0, 1), "+": (1, 2)}[action.nargs]  # type: ignore[index]
            parts.append(st.lists(value, min_size=many[0], max_size=many[1]))
        elif action.nargs == 0:
            parts.append(st.sampled_from([[], [action.option_strings[0]]]))
        else:
            parts.append(st.just([]) | value.map(lambda v, f=action.option_strings[0]: [f, v]))
    lines = st.tuples(*parts).map(lambda chunks: [t for chunk in chunks for t in chunk])
    return st.tuples(lines, st.lists(strays, max_size=1)).map(lambda p: [*path, *p[0], *p[1]])


@pytest.fixture(scope="module")
def cli_home() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(argv=st.sampled_from(CHEAP_COMMANDS).flatmap(_command_lines))
@example(argv=["memory", "export", ""])  # was: unexpected error, PosixPath('.') has no name
def test_cli_never_shows_a_traceback(
    cli_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
) -> None:
    for key in list(os.environ):
        if key.startswith("ASSISTANT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ASSISTANT_HOME", str(cli_home / "home"))
    monkeypatch.setenv("ASSISTANT_MODEL", str(cli_home / "no-model.gguf"))
    monkeypatch.chdir(cli_home)  # a junk `memory export FILE` lands here
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
        assert code in (0, 2)  # --help, or an argparse usage error
    out, err = capsys.readouterr()
    assert isinstance(code, int)
    assert "Traceback" not in out + err
    assert "unexpected error" not in err  # caught by main(), but a crash all the same
    if code != 0:
        assert err.strip()  # a reason is always given


@pytest.mark.real
def test_malformed_memory_import_changes_nothing(
    env: Environment, fake: ScriptedBackend, embedder: SentenceEmbedder, tmp_path: Path
) -> None:
    """A bad export is refused whole: not even its valid memories before the bad one land."""
    assistant = build_assistant(env, fake, embedder)
    assistant.remember("The user keeps bees.")
    good = tmp_path / "good.json"
    assistant.export_memories(good)
    document = json.loads(good.read_text(encoding="utf-8"))
    valid = document["memories"][0]
    fresh = valid | {"id": "fresh-one", "text": "The user sails on Sundays."}
    damaged = {
        "truncated.json": good.read_text(encoding="utf-8")[:200],
        "bad-field.json": json.dumps(document | {"memories": [fresh, valid | {"use_count": "x"}]}),
        "short-vector.json": json.dumps(document | {"memories": [fresh, valid | {"vector": [1]}]}),
        "surrogate.json": json.dumps(document | {"memories": [fresh | {"text": "\ud800"}]}),
        "overflow.json": json.dumps(document | {"memories": [fresh, valid | {"use_count": 1e999}]}),
    }
    before = [(m.id, m.text, m.status) for m in assistant.memories(ALL_MEMORY_STATUSES)]
    assert [text for _, text, _ in before] == ["The user keeps bees."]
    for name, text in damaged.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        with pytest.raises(InputError) as raised:
            assistant.import_memories(path)
        assert raised.value.hint, name
        after = [(m.id, m.text, m.status) for m in assistant.memories(ALL_MEMORY_STATUSES)]
        assert after == before, name
    # and the store still takes a good import afterwards
    (tmp_path / "fresh.json").write_text(json.dumps(document | {"memories": [fresh]}))
    assert assistant.import_memories(tmp_path / "fresh.json").added == 1
    reopened = build_assistant(load_environment(), fake, embedder)
    texts = {m.text for m in reopened.memories(ALL_MEMORY_STATUSES)}
    assert texts == {"The user keeps bees.", "The user sails on Sundays."}


@pytest.mark.real
def test_malformed_history_import_changes_nothing(
    env: Environment, fake: ScriptedBackend, embedder: SentenceEmbedder, tmp_path: Path
) -> None:
    """A history file that fails anywhere, even on its last line, stores none of its lines."""
    assistant = build_assistant(env, fake, embedder)
    good = {"conversation_id": "c1", "role": "user", "content": "I keep bees", "created_at": ISO}
    first = tmp_path / "first.jsonl"
    first.write_text(json.dumps(good | {"id": "m1"}) + "\n", encoding="utf-8")
    assert assistant.import_history(first).messages == 1
    fresh = json.dumps(good | {"conversation_id": "c2", "id": "m2"})
    damaged = {
        "surrogate.jsonl": fresh + "\n" + json.dumps(good | {"id": "m3", "content": "\ud800"}),
        "far-past.jsonl": fresh
        + "\n"
        + json.dumps(good | {"id": "m3", "created_at": "0001-01-01T00:00:00+14:00"}),
        "deep.jsonl": fresh + "\n" + "[" * 50_000,
        "deep-export.json": "[" * 50_000,
    }
    before = [(c.id, c.message_count) for c in assistant.conversations()]
    for name, text in damaged.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        with pytest.raises(InputError) as raised:
            assistant.import_history(path)
        assert raised.value.hint, name
        assert [(c.id, c.message_count) for c in assistant.conversations()] == before, name
    assert before == [("c1", 1)]
