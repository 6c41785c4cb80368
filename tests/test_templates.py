import pytest

from assistant.core.errors import ModelError
from assistant.core.ports.chat import ChatMessage
from assistant.llm.templates import fold_system, render_gemma, resolve_template

CONVERSATION = [
    ChatMessage("system", "Be brief."),
    ChatMessage("user", "Hi"),
    ChatMessage("assistant", "Hello!"),
    ChatMessage("user", "Capital of France?"),
]


def test_gemma_golden() -> None:
    assert render_gemma(CONVERSATION) == (
        "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n"
        "<start_of_turn>model\nHello!<end_of_turn>\n"
        "<start_of_turn>user\nCapital of France?<end_of_turn>\n"
        "<start_of_turn>model\n"
    )


def test_system_is_folded_not_dropped() -> None:
    folded = fold_system(CONVERSATION)
    assert all(m.role != "system" for m in folded)
    assert folded[0].content.startswith("Be brief.")
    assert fold_system([ChatMessage("system", "S")]) == [ChatMessage("user", "S")]


JINJA = (
    "{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}"
    "{% if add_generation_prompt %}[assistant]{% endif %}"
)


def test_gguf_template_wins_over_architecture_and_config() -> None:
    template = resolve_template(JINJA, "gemma3", "chatml", bos_token="<s>", eos_token="</s>")
    assert template.source == "gguf"
    # The tokenizer adds BOS, so the template's own is removed.
    assert template.render(CONVERSATION[1:2]) == "[user]Hi[assistant]"
    assert template.stop == ("</s>",)


def test_architecture_template_before_config() -> None:
    template = resolve_template(None, "gemma3", "chatml")
    assert (template.source, template.name) == ("architecture", "gemma")


def test_config_template_is_the_fallback() -> None:
    template = resolve_template(None, "mystery", "chatml")
    assert (template.source, template.name) == ("config", "chatml")
    custom = resolve_template(None, "mystery", JINJA)
    assert custom.source == "config"
    assert custom.render([ChatMessage("user", "x")]) == "[user]x[assistant]"


def test_no_template_anywhere_is_a_clear_error() -> None:
    with pytest.raises(ModelError, match="chat_template"):
        resolve_template(None, "mystery", "")


def test_broken_jinja_is_a_model_error() -> None:
    with pytest.raises(ModelError, match="not valid Jinja"):
        resolve_template("{% for %}", "x", "")
