"""Through the real stack: the default SmolLM2-135M-Instruct in llama-cpp-python and
LanceDB on disk."""

import threading
from pathlib import Path

import pytest

from assistant.compose import build_assistant, load_environment
from assistant.core import Assistant, ReplyDelta, TurnFinished
from assistant.core.errors import ModelError
from assistant.core.ports.chat import ChatMessage, GenerationParams
from assistant.core.settings import DEFAULT_SYSTEM_PROMPT
from assistant.embedder import Embedder
from assistant.llm.gguf import read_gguf
from assistant.llm.llama import LlamaBackend
from assistant.llm.process import ProcessBackend
from assistant.llm.templates import resolve_template

pytestmark = pytest.mark.real


def run(events: object) -> tuple[list[str], TurnFinished]:
    deltas, last = [], None
    for event in events:  # type: ignore[attr-defined]
        if isinstance(event, ReplyDelta):
            deltas.append(event.text)
        elif isinstance(event, TurnFinished):
            last = event
    assert last is not None
    return deltas, last


@pytest.fixture
def assistant(home: Path, real_backend: ProcessBackend, embedder: Embedder) -> Assistant:
    env = load_environment(max_tokens=48, temperature=0.0)
    a = build_assistant(env, real_backend, embedder)
    a.load()
    return a


def test_the_default_chats_in_its_own_gguf_template(
    gguf_path: Path, real_backend: ProcessBackend
) -> None:
    info = read_gguf(gguf_path)
    assert info.architecture == "llama" and info.chat_template  # SmolLM2 carries ChatML
    assert (real_backend.template.source, real_backend.template.name) == ("gguf", "gguf-jinja")
    prompt = real_backend.template.render(
        [ChatMessage("system", "Be brief."), ChatMessage("user", "hi")]
    )
    assert prompt == (
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n"
        "<|im_start|>assistant\n"
    )  # the system message is kept, not dropped


def test_gemma_resolves_its_template_by_architecture(gemma_path: Path) -> None:
    """Gemma 3 270M (kept for configs that name it) has no template in its GGUF."""
    info = read_gguf(gemma_path)
    assert info.architecture == "gemma3"
    assert info.chat_template is None  # so the architecture's template must apply
    template = resolve_template(info.chat_template, info.architecture, "")
    assert (template.source, template.name) == ("architecture", "gemma")


def test_context_comes_from_model_not_llama_default(real_backend: ProcessBackend) -> None:
    assert real_backend.context_length == 8192  # min(model's 32768, default cap 8192)


def test_streaming_reply_is_persisted(assistant: Assistant) -> None:
    deltas, turn = run(assistant.send("Write a list of three fruits."))
    assert len(deltas) > 3
    assert turn.usage.completion_tokens > 3
    assert turn.reply.content == "".join(deltas).strip()
    stored = assistant.messages(turn.conversation.id)
    assert [m.role for m in stored] == ["user", "assistant"]
    assert stored[1].content == turn.reply.content


def test_prefix_is_reused_on_the_next_turn(assistant: Assistant) -> None:
    _, first = run(assistant.send("Hello there."))
    _, second = run(assistant.send("Tell me more.", first.conversation.id))
    assert second.usage.cached_prompt_tokens > first.usage.prompt_tokens // 2
    assert second.usage.evaluated_prompt_tokens < second.usage.prompt_tokens


def test_stop_ends_within_one_token(llama_backend: LlamaBackend) -> None:
    stop = threading.Event()
    pieces = []
    for piece in llama_backend.stream(
        [ChatMessage("user", "Count from one to one hundred.")],
        GenerationParams(max_tokens=200, temperature=0.0),
        stop.is_set,
    ):
        pieces.append(piece)
        if len(pieces) == 3:
            stop.set()
    usage = llama_backend.last_usage()
    assert usage.stopped
    assert len(pieces) <= 4
    assert usage.completion_tokens <= 4


def repeated_sentences(text: str) -> set[str]:
    sentences = [s.strip() for s in text.replace("\n", " ").split(". ") if len(s.strip()) > 20]
    return {s for s in sentences if sentences.count(s) > 1}


def test_the_repeat_penalty_reaches_llama_cpp_and_breaks_a_loop(
    real_backend: ProcessBackend,
) -> None:
    """Greedy SmolLM2 repeats one tip ("Don't forget to take a nap…") until max_tokens;
    `repeat_penalty` (a setting) is passed to llama.cpp's sampler, and with it the reply
    moves on. (The backend is tested alone here: the core would end the loop itself.)"""
    prompt = [
        ChatMessage("system", DEFAULT_SYSTEM_PROMPT),
        ChatMessage("user", "Give me a tip for staying focused."),
    ]
    replies = {}
    for penalty in (1.0, 1.3):
        params = GenerationParams(max_tokens=128, temperature=0.0, repeat_penalty=penalty)
        replies[penalty] = "".join(real_backend.stream(prompt, params, lambda: False))
    assert repeated_sentences(replies[1.0])
    assert not repeated_sentences(replies[1.3])
    assert replies[1.3] != replies[1.0]


def test_turn_markers_stop_by_token_id_not_as_text(real_backend: ProcessBackend) -> None:
    # The end-of-turn marker streams as no text, so only its id can stop a reply; no
    # text stop is left to hold streamed text back.
    assert real_backend.count_tokens("<|im_end|>") == 1
    assert len(real_backend.stop_tokens) == 1
    assert real_backend.stop_texts == ()


def test_a_stop_token_ends_the_reply_where_it_is_sampled(
    llama_backend: LlamaBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompt = [ChatMessage("user", "Write a list of three fruits.")]
    params = GenerationParams(max_tokens=12, temperature=0.0)
    whole = "".join(llama_backend.stream(prompt, params, lambda: False))
    prompt_length = len(llama_backend.prompt_tokens(prompt))
    produced = list(llama_backend._llm._input_ids[prompt_length:])
    fourth = produced[3]
    assert fourth not in produced[:3]  # else the test would stop earlier than it means
    monkeypatch.setattr(llama_backend, "stop_tokens", frozenset({fourth}))
    cut = "".join(llama_backend.stream(prompt, params, lambda: False))
    assert whole.startswith(cut) and len(cut) < len(whole)
    assert llama_backend.last_usage().completion_tokens <= 5


def test_conversation_three_times_the_window_never_overflows(
    home: Path, gguf_path: Path, embedder: Embedder
) -> None:
    env = load_environment(model=str(gguf_path), context_length=512, max_tokens=24)
    a = build_assistant(env, embedder=embedder)
    backend = a.load()
    assert backend.context_length == 512
    conversation = None
    pad = "Here is some more detail about my garden and the vegetables in it. " * 3
    total_tokens = 0
    turns = 0
    while total_tokens < 3 * 512:
        _, turn = run(a.send(f"Turn {turns}. {pad}", conversation))
        conversation = turn.conversation.id
        assert turn.usage.prompt_tokens + 24 <= 512
        total_tokens = sum(backend.count_tokens(m.content) for m in a.messages(conversation))
        turns += 1
    assert len(a.messages(conversation)) == 2 * turns  # nothing dropped from the store
    assert isinstance(backend, ProcessBackend)
    backend.close()


def test_truncated_gguf_is_a_clear_error(gguf_path: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(gguf_path.read_bytes()[: gguf_path.stat().st_size // 2])
    with pytest.raises(ModelError, match="truncated"):
        read_gguf(cut)
