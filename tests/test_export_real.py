"""Dataset exports from real sessions: the real model (or a scripted one for approved
answers, since the 270M base model rambles to its token limit), the real embedder and
a real LanceDB; read back with `datasets`, rendered through the model's template."""

import hashlib
import json
from pathlib import Path

import datasets
import pytest

from assistant.compose import Environment, build_assistant, load_environment
from assistant.core import Assistant, TurnFinished
from assistant.core.errors import InputError
from assistant.core.ports.chat import ChatMessage
from assistant.embedder import Embedder
from assistant.llm.fake import ScriptedBackend
from assistant.llm.process import ProcessBackend
from assistant.weights.dataset_export import export_dataset, maybe_export
from tests.erasure import files_containing

pytestmark = pytest.mark.real
MARKER = "QX-4471-ZETA"


def session(
    backend: object, embedder: Embedder, gguf_path: Path, **settings: object
) -> tuple[Environment, Assistant]:
    env = load_environment(model=str(gguf_path), temperature=0.0, learning="full", **settings)
    a = build_assistant(env, backend, embedder)  # type: ignore[arg-type]
    a.load(embedder=True)
    return env, a


def turn(a: Assistant, text: str, conversation: str | None = None) -> TurnFinished:
    *_, last = a.send(text, conversation)
    assert isinstance(last, TurnFinished)
    a.learn(last)
    return last


def rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_real_session_exports_rows_every_tool_reads(
    home: Path, real_backend: ProcessBackend, embedder: Embedder, gguf_path: Path
) -> None:
    env, a = session(real_backend, embedder, gguf_path, max_tokens=12)
    australia = turn(a, "What is the capital of Australia?")
    a.correct(australia.reply.id, "Canberra")
    sums = turn(a, "What is 2 + 2?")
    a.correct(sums.reply.id, "4")
    rambling = turn(a, "Say hello.")
    a.feedback(rambling.reply.id, "up")  # it hit the token limit: cut off, never exported

    result = export_dataset(env, a)

    sft = datasets.load_dataset("json", data_files=str(result.path / "sft.jsonl"))["train"]
    dpo = datasets.load_dataset("json", data_files=str(result.path / "dpo.jsonl"))["train"]
    assert (len(sft), len(dpo)) == (2, 2) == (result.counts["sft"], result.counts["dpo"])
    assert sorted(r["messages"][-1]["content"] for r in sft) == ["4", "Canberra"]
    for row in sft:
        messages = [ChatMessage(m["role"], m["content"]) for m in row["messages"]]
        rendered = real_backend.template.render(messages)
        assert rendered.startswith("<|im_start|>system\n")  # the chat's own template
        assert all(m.content.strip() in rendered for m in messages)
    for pair in dpo:
        assert pair["prompt"] and pair["chosen"][0]["content"] and pair["rejected"][0]["content"]
        assert pair["chosen"] != pair["rejected"]
    manifest = json.loads((result.path / "manifest.json").read_text())
    for name, meta in manifest["files"].items():
        assert hashlib.sha256((result.path / name).read_bytes()).hexdigest() == meta["sha256"]
    assert manifest["base_model"]["sha256"] == hashlib.sha256(gguf_path.read_bytes()).hexdigest()
    assert manifest["filters"]["dropped"] == {"truncated": 1}
    split = manifest["split"]["sft"]
    assert sorted(split["train"] + split["eval"]) == [0, 1]
    assert australia.reply.id in manifest["source_message_ids"]
    assert (result.path / "README.md").read_text().startswith(f"# {result.path.name}")


def test_deleted_material_never_reaches_an_export(
    home: Path, real_backend: ProcessBackend, embedder: Embedder, gguf_path: Path
) -> None:
    env, a = session(real_backend, embedder, gguf_path, max_tokens=8)
    secret = turn(a, "What is my locker code?")
    a.correct(secret.reply.id, f"It is {MARKER}")
    other = turn(a, "What is the capital of Australia?")
    a.correct(other.reply.id, "Canberra")
    forgotten = turn(a, "What is the capital of Peru?")
    [memory] = a.correct(forgotten.reply.id, "Lima").changed

    a.delete_conversation(secret.conversation.id, with_memories=True)
    a.forget_memory(memory.id)  # the correction's signal goes with it
    result = export_dataset(env, a)

    answers = [r["messages"][-1]["content"] for r in rows(result.path / "sft.jsonl")]  # type: ignore[index]
    assert answers == ["Canberra"]
    assert files_containing([result.path], MARKER.encode()) == []
    assert files_containing([result.path], b"Lima") == []


def test_approved_answers_and_the_periodic_export(
    home: Path, fake: ScriptedBackend, embedder: Embedder, gguf_path: Path
) -> None:
    env, a = session(fake, embedder, gguf_path, export_every_examples=2, redact=True)
    fake.enqueue("Lisbon is lovely in May.", "Write to me at jo@example.com.", "Try the tram.")
    first = turn(a, "When should I visit Lisbon?")
    a.feedback(first.reply.id, "up")
    assert maybe_export(env, a) is None  # one new example: not due yet
    second = turn(a, "How do I reach you?", first.conversation.id)
    a.feedback(second.reply.id, "up")

    result = maybe_export(env, a)

    assert result is not None and result.counts == {"sft": 2, "dpo": 0}
    answers = [r["messages"][-1]["content"] for r in rows(result.path / "sft.jsonl")]  # type: ignore[index]
    assert answers == ["Lisbon is lovely in May.", "Write to me at [EMAIL]."]  # redacted
    assert maybe_export(env, a) is None  # nothing new since
    third = turn(a, "How do I get around?", first.conversation.id)
    a.feedback(third.reply.id, "up")
    assert maybe_export(env, a) is None  # one new: below 2, and not 7 days yet


def test_exports_are_refused_below_level_full_and_when_empty(
    home: Path, fake: ScriptedBackend, embedder: Embedder, gguf_path: Path
) -> None:
    env, a = session(fake, embedder, gguf_path)
    with pytest.raises(InputError, match="nothing to export"):
        export_dataset(env, a)
    feedback_env = load_environment(model=str(gguf_path), learning="feedback")
    with pytest.raises(InputError, match="level full"):
        export_dataset(feedback_env, a)
    assert maybe_export(feedback_env, a) is None
