"""Modal screens: the conversation list and the system prompt editor."""

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, TextArea
from textual.widgets.option_list import Option

from assistant.records import Conversation

SearchFn = Callable[[str], list[Conversation]]


class ConversationPicker(ModalScreen[str | None]):
    """Pick a conversation; typing filters by title and message text."""

    BINDINGS = [Binding("escape", "dismiss_none", "Close")]

    def __init__(self, search: SearchFn) -> None:
        super().__init__()
        self._search = search

    def compose(self) -> ComposeResult:
        with Vertical(id="picker", classes="dialog"):
            yield Label("Conversations", classes="dialog-title")
            yield Input(placeholder="Search titles and messages…", id="picker-search")
            yield OptionList(id="picker-list")

    def on_mount(self) -> None:
        self._fill("")

    def _fill(self, query: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        conversations = self._search(query)
        options.add_options(
            Option(f"{c.title}  ({c.message_count} messages)", id=c.id) for c in conversations
        )
        if not conversations:
            options.add_option(Option("No conversations found", disabled=True))
        else:
            options.highlighted = 0

    @on(Input.Changed, "#picker-search")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#picker-search")
    def _choose_highlighted(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self.dismiss(options.get_option_at_index(options.highlighted).id)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class SystemPromptEditor(ModalScreen[str | None]):
    """Edit the system prompt of the current conversation."""

    BINDINGS = [
        Binding("escape", "dismiss_none", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def compose(self) -> ComposeResult:
        with Vertical(id="system-editor", classes="dialog"):
            yield Label("System prompt (ctrl+s saves, esc cancels)", classes="dialog-title")
            yield TextArea(self._text, id="system-text")

    def action_save(self) -> None:
        self.dismiss(self.query_one(TextArea).text.strip())

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
