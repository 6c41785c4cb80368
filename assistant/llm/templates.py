"""Chat templates: turn a list of messages into the prompt text a model was trained on.

Resolution order (first that applies wins):
1. the GGUF's own `tokenizer.chat_template` (Jinja, rendered in a sandbox);
2. a built-in template for the GGUF's architecture (Gemma's turn format at least,
   because the embedded Gemma 3 270M GGUF carries no template);
3. the `chat_template` config value: a built-in name or Jinja text.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from assistant.core.errors import ModelError
from assistant.core.ports.chat import ChatMessage

TemplateSource = Literal["gguf", "architecture", "config"]
Renderer = Callable[[Sequence[ChatMessage]], str]


@dataclass(frozen=True)
class ChatTemplate:
    """A resolved template: how to render, what ends a turn, and where it came from."""

    name: str
    source: TemplateSource
    render: Renderer
    stop: tuple[str, ...]


def fold_system(messages: Sequence[ChatMessage]) -> list[ChatMessage]:
    """Fold system text into the first user turn, for formats with no system role.

    Gemma has no system turn; its own template prepends the system text to the first
    user message, and llama-cpp's `chat_format="gemma"` silently drops it instead.
    """
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    rest = [m for m in messages if m.role != "system"]
    if not system:
        return rest
    if rest and rest[0].role == "user":
        return [ChatMessage("user", f"{system}\n\n{rest[0].content}"), *rest[1:]]
    return [ChatMessage("user", system), *rest]


def render_gemma(messages: Sequence[ChatMessage]) -> str:
    """Gemma's turn format; BOS is added by the tokenizer, not here."""
    parts = []
    for message in fold_system(messages):
        role = "model" if message.role == "assistant" else "user"
        parts.append(f"<start_of_turn>{role}\n{message.content.strip()}<end_of_turn>\n")
    parts.append("<start_of_turn>model\n")
    return "".join(parts)


def render_chatml(messages: Sequence[ChatMessage]) -> str:
    """ChatML, as used by Qwen and many fine-tunes."""
    parts = [f"<|im_start|>{m.role}\n{m.content.strip()}<|im_end|>\n" for m in messages]
    parts.append("<|im_start|>assistant\n")
    return "".join(parts)


def render_llama3(messages: Sequence[ChatMessage]) -> str:
    """Llama 3 instruct header format; BOS is added by the tokenizer."""
    parts = [
        f"<|start_header_id|>{m.role}<|end_header_id|>\n\n{m.content.strip()}<|eot_id|>"
        for m in messages
    ]
    parts.append("<|start_header_id|>assistant<|end_header_id|>\n\n")
    return "".join(parts)


BUILTIN: dict[str, tuple[Renderer, tuple[str, ...]]] = {
    "gemma": (render_gemma, ("<end_of_turn>", "<start_of_turn>")),
    "chatml": (render_chatml, ("<|im_end|>", "<|im_start|>")),
    "llama3": (render_llama3, ("<|eot_id|>", "<|start_header_id|>")),
}

ARCHITECTURE_TEMPLATES: dict[str, str] = {
    "gemma": "gemma",
    "gemma2": "gemma",
    "gemma3": "gemma",
    "gemma3n": "gemma",
    "qwen2": "chatml",
    "qwen3": "chatml",
}


def jinja_template(
    text: str, source: TemplateSource, bos_token: str, eos_token: str, adds_bos: bool = True
) -> ChatTemplate:
    """Compile a Jinja chat template (HF style) in a sandbox.

    `adds_bos`: whether the tokenizer adds BOS itself. Only then is a BOS the template
    wrote removed; SmolLM2's BOS is `<|im_start|>`, which also opens every turn, so
    removing it there cut the first turn's marker.
    """
    from jinja2 import TemplateError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message: str) -> None:
        raise ModelError(f"the chat template refused the conversation: {message}")

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = raise_exception
    try:
        template = env.from_string(text)
    except TemplateError as exc:
        raise ModelError(f"the {source} chat template is not valid Jinja: {exc}") from None

    def render(messages: Sequence[ChatMessage]) -> str:
        try:
            prompt = template.render(
                messages=[{"role": m.role, "content": m.content} for m in messages],
                add_generation_prompt=True,
                bos_token=bos_token,
                eos_token=eos_token,
            )
        except TemplateError as exc:
            raise ModelError(f"the {source} chat template failed: {exc}") from None
        # The tokenizer adds BOS itself; a template that writes it too would double it.
        return prompt.removeprefix(bos_token) if bos_token and adds_bos else prompt

    stops = tuple(s for s in (eos_token,) if s)
    return ChatTemplate(f"{source}-jinja", source, render, stops)


def builtin_template(name: str, source: TemplateSource) -> ChatTemplate:
    render, stop = BUILTIN[name]
    return ChatTemplate(name, source, render, stop)


def resolve_template(
    gguf_template: str | None,
    architecture: str,
    config_value: str,
    bos_token: str = "",
    eos_token: str = "",
    *,
    adds_bos: bool = True,
) -> ChatTemplate:
    """Pick the chat template: the GGUF's own, then by architecture, then config."""
    if gguf_template:
        return jinja_template(gguf_template, "gguf", bos_token, eos_token, adds_bos)
    if architecture in ARCHITECTURE_TEMPLATES:
        return builtin_template(ARCHITECTURE_TEMPLATES[architecture], "architecture")
    value = config_value.strip()
    if value in BUILTIN:
        return builtin_template(value, "config")
    if value:
        return jinja_template(value, "config", bos_token, eos_token, adds_bos)
    raise ModelError(
        f"the model has no chat template and architecture `{architecture}` has no built-in one",
        f"set `chat_template` in config to one of {', '.join(BUILTIN)} or to Jinja text",
    )
