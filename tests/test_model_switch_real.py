"""Switching the model mid-conversation through the real stack: from the scripted
backend to the real GGUF in a llama.cpp child process (what the palette's "Switch
model" runs), with a real LanceDB and the real embedder."""

from pathlib import Path

import pytest

from assistant.compose import build_assistant, load_environment, loader_for_model
from assistant.core import TurnFinished
from assistant.core.errors import ModelError
from assistant.embedder import Embedder
from assistant.llm.choices import model_choices
from assistant.llm.fake import ScriptedBackend
from assistant.llm.process import ProcessBackend

pytestmark = pytest.mark.real


def test_a_conversation_goes_on_with_the_real_model_after_a_switch(
    home: Path, fake: ScriptedBackend, embedder: Embedder, gguf_path: Path
) -> None:
    env = load_environment(learning="memory", max_tokens=8, temperature=0.0)
    a = build_assistant(env, fake, embedder)
    a.load(embedder=True)
    fake.enqueue("Noted: Berlin.")
    *_, first = a.send("I live in Berlin. Remember that.")
    assert isinstance(first, TurnFinished)

    with pytest.raises(ModelError):  # a model that cannot load leaves the old one
        a.switch_model("missing.gguf", loader_for_model(env, "missing.gguf"))
    assert a.backend is fake and a.settings.model == ""

    lines: list[str] = []
    backend = a.switch_model(str(gguf_path), loader_for_model(env, str(gguf_path)), lines.append)
    try:
        assert isinstance(backend, ProcessBackend) and a.backend is backend
        assert any(line.startswith("Loading") for line in lines)
        *_, second = a.send("Where do I live?", first.conversation.id)
        assert isinstance(second, TurnFinished)
        assert second.conversation.id == first.conversation.id
        assert second.reply.model == backend.name != "scripted"
        sent = [m.content for m in a.last_prompt]
        assert "Noted: Berlin." in sent and any("I live in Berlin" in t for t in sent)
        assert [m.role for m in a.messages(first.conversation.id)] == ["user", "assistant"] * 2
    finally:
        backend.close()


def test_the_choices_are_the_embedded_model_and_the_models_dir(home: Path) -> None:
    env = load_environment()
    assert [c.spec for c in model_choices(env.paths)] == ["", "gemma-3-270m"]
    env.paths.models.mkdir(parents=True)
    (env.paths.models / "mine.gguf").write_bytes(b"GGUF")
    (env.paths.models / "notes.txt").write_text("not a model")
    choices = model_choices(env.paths)
    assert [(c.spec, c.note) for c in choices] == [
        ("", "the small embedded model"),
        ("gemma-3-270m", "embedded · Gemma Terms of Use"),
        ("mine.gguf", "models dir"),
    ]
