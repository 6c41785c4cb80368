"""The model in a child process (ProcessBackend), through the real llama-cpp-python."""

import os
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.core.errors import ModelError
from assistant.core.ports.chat import ChatMessage, GenerationParams
from assistant.llm.gguf import read_gguf
from assistant.llm.llama import LlamaBackend, LoadOptions
from assistant.llm.process import ProcessBackend, child_command

pytestmark = pytest.mark.real

OPTIONS = LoadOptions(context_length=2048, gpu_layers=-1, threads=0, chat_template="")
GREEDY = GenerationParams(max_tokens=24, temperature=0.0, seed=1)
PROMPT = [ChatMessage("system", "Be brief."), ChatMessage("user", "Name three fruits.")]


@pytest.fixture
def child(gguf_path: Path, tmp_path: Path) -> Iterator[ProcessBackend]:
    """A backend of its own, for tests that break or kill its child."""
    backend = ProcessBackend(read_gguf(gguf_path), OPTIONS, tmp_path / "assistant.log")
    yield backend
    backend.close()


def test_the_child_streams_what_the_model_streams_in_process(
    real_backend: ProcessBackend, llama_backend: LlamaBackend
) -> None:
    there = list(real_backend.stream(PROMPT, GREEDY, lambda: False))
    here = list(llama_backend.stream(PROMPT, GREEDY, lambda: False))
    assert "".join(there) == "".join(here) and len(there) > 3
    made = real_backend.last_usage().completion_tokens
    assert made == llama_backend.last_usage().completion_tokens
    assert real_backend.prompt_tokens(PROMPT) == llama_backend.prompt_tokens(PROMPT)
    assert real_backend.count_tokens("a few words") == llama_backend.count_tokens("a few words")
    assert real_backend.template.name == llama_backend.template.name == "gguf-jinja"
    assert real_backend.stop_tokens == llama_backend.stop_tokens
    # Same model, same template: the same prompt reuses the child's prefix cache.
    list(real_backend.stream(PROMPT, GREEDY, lambda: False))
    usage = real_backend.last_usage()
    assert usage.cached_prompt_tokens == usage.prompt_tokens - 1


def test_nothing_streams_after_a_stop_and_generation_ends_within_two_tokens(
    real_backend: ProcessBackend,
) -> None:
    stop = threading.Event()
    pieces = []
    for piece in real_backend.stream(
        [ChatMessage("user", "Write a long story about a lighthouse keeper and a storm.")],
        GenerationParams(max_tokens=200, temperature=0.0),
        stop.is_set,
    ):
        pieces.append(piece)
        if len(pieces) == 3:
            stop.set()
    usage = real_backend.last_usage()
    assert len(pieces) == 3 and usage.stopped
    # the piece in flight when the stop was seen, and the one the child was making
    assert usage.completion_tokens <= 5


def test_a_stream_let_go_of_leaves_the_child_ready(real_backend: ProcessBackend) -> None:
    stream = real_backend.stream(PROMPT, GenerationParams(max_tokens=100), lambda: False)
    next(stream)
    stream.close()
    assert real_backend.last_usage().stopped
    assert real_backend.count_tokens("still here") == real_backend.count_tokens("still here")
    assert "".join(real_backend.stream(PROMPT, GREEDY, lambda: False))


def test_json_under_a_grammar_comes_back(real_backend: ProcessBackend) -> None:
    schema: dict[str, object] = {
        "type": "object",
        "properties": {"fruit": {"type": "string"}},
        "required": ["fruit"],
    }
    text = real_backend.generate_json(PROMPT, schema, max_tokens=24)
    assert text.lstrip().startswith('{ "fruit"') or text.lstrip().startswith('{"fruit"')


def test_a_model_llama_cpp_cannot_load_is_a_clear_error(gguf_path: Path, tmp_path: Path) -> None:
    # The header reads whole, so only llama.cpp (in the child) finds the tensors missing.
    cut = tmp_path / "cut.gguf"
    info = read_gguf(gguf_path)
    with gguf_path.open("rb") as whole:
        cut.write_bytes(whole.read(info.size_bytes // 2))
    with pytest.raises(ModelError, match=r"could not load cut\.gguf") as caught:
        ProcessBackend(replace(info, path=cut), OPTIONS, tmp_path / "assistant.log")
    assert "damaged" in caught.value.hint


def test_a_child_that_dies_is_an_error_then_starts_again(child: ProcessBackend) -> None:
    before = child.count_tokens("anyone there?")
    stream = child.stream(PROMPT, GenerationParams(max_tokens=200), lambda: False)
    next(stream)
    killed = child.pid
    os.kill(killed, signal.SIGKILL)
    with pytest.raises(ModelError, match="model process stopped") as caught:
        for _ in stream:
            pass
    assert "starts again" in caught.value.hint
    assert child.count_tokens("anyone there?") == before  # a new child, the same model
    assert child.pid != killed
    assert "".join(child.stream(PROMPT, GREEDY, lambda: False))


def test_llama_cpp_output_goes_to_the_log_never_the_terminal(
    gguf_path: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    log_file = tmp_path / "assistant.log"
    backend = ProcessBackend(read_gguf(gguf_path), OPTIONS, log_file)
    try:
        assert "".join(backend.stream(PROMPT, GREEDY, lambda: False))
    finally:
        backend.close()
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    logged = log_file.read_text()
    assert "llama" in logged  # llama.cpp's own lines, routed by the child
    assert log_file.stat().st_mode & 0o077 == 0


def test_the_assistant_executable_serves_the_model_when_frozen(
    gguf_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A PyInstaller bundle has no `python -m`: it runs itself with the child argument.
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert child_command() == [sys.executable, "--model-process"]
    monkeypatch.setattr(sys, "executable", str(Path(sys.executable).with_name("assistant")))
    backend = ProcessBackend(read_gguf(gguf_path), OPTIONS, tmp_path / "assistant.log")
    try:
        assert backend.count_tokens("hello world") == 2
    finally:
        backend.close()
