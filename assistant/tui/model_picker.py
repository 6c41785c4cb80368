"""The palette's model switch: pick among the models loadable now (assistant/llm/choices.py)."""

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from assistant.compose import ModelChoice


class ModelPicker(ModalScreen[ModelChoice | None]):
    """A list of models; Enter loads the highlighted one, the conversation stays."""

    BINDINGS = [Binding("escape", "dismiss_none", "Close")]

    def __init__(self, choices: list[ModelChoice], current: str) -> None:
        super().__init__()
        self._choices = choices
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="model-picker", classes="dialog compact"):
            yield Label("Switch model", classes="dialog-title")
            yield OptionList(
                *(
                    Option(
                        f"{c.label}  ({c.note}{' · in use' if c.spec == self._current else ''})",
                        id=f"model-{index}",
                    )
                    for index, c in enumerate(self._choices)
                ),
                id="model-list",
            )
            yield Label(
                "Enter loads it; this conversation goes on with it · Esc closes\n"
                "More: put GGUF files in the models dir (`assistant paths`)",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        specs = [c.spec for c in self._choices]
        options.highlighted = specs.index(self._current) if self._current in specs else 0
        options.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self._choices[event.option_index])

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
