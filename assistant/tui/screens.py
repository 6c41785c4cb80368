"""Modal screens: the conversation list, the system prompt editor, feedback dialogs.

They only ask: each returns the answer through `dismiss` (or, for a request that keeps
the screen open, a message to the app), and the app makes the core call, as the style
asks of every screen.
"""

from collections.abc import Callable
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from assistant.core.ports.copies import Erased
from assistant.core.records import Conversation, Memory
from assistant.tui.text import plural

SearchFn = Callable[[str], list[Conversation]]


class ConversationPicker(ModalScreen[str | None]):
    """Pick a conversation; typing filters by title and message text.

    f3 asks the app to delete the highlighted one (`DeleteRequested`): the search box
    keeps focus and takes delete and the ctrl+letter keys for editing, so a function
    key is the one that reaches this screen. The app calls `refill` once it is gone.
    """

    BINDINGS = [
        Binding("escape", "dismiss_none", "Close"),
        Binding("f3", "delete", "Delete"),
    ]

    class DeleteRequested(Message):
        """The user asked to delete this conversation (not yet confirmed)."""

        def __init__(self, conversation: Conversation) -> None:
            super().__init__()
            self.conversation = conversation

    def __init__(self, search: SearchFn) -> None:
        super().__init__()
        self._search = search
        self._shown: dict[str, Conversation] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="picker", classes="dialog"):
            yield Label("Conversations", classes="dialog-title")
            yield Input(placeholder="Search titles and messages…", id="picker-search")
            yield OptionList(id="picker-list")
            yield Label("Enter opens · f3 deletes · Esc closes", classes="dialog-hint")

    def on_mount(self) -> None:
        self._fill("")

    def refill(self) -> None:
        """List again for the current search (after a delete)."""
        self._fill(self.query_one("#picker-search", Input).value)

    def _fill(self, query: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        conversations = self._search(query)
        self._shown = {c.id: c for c in conversations}
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

    def action_delete(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return
        chosen = self._shown.get(options.get_option_at_index(options.highlighted).id or "")
        if chosen is not None:
            self.post_message(self.DeleteRequested(chosen))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class ConversationDeleted(Message):
    """A conversation was deleted for real, with the memories listed (if chosen)."""

    def __init__(self, conversation: Conversation, erased: Erased) -> None:
        super().__init__()
        self.conversation = conversation
        self.memories = list(erased.memories)
        self.leftovers = erased.leftovers


LEARNED_SHOWN = 5


class DeleteConversationPrompt(ModalScreen[bool | None]):
    """Confirm a conversation delete, and choose what happens to what it taught.

    Dismisses with True (delete it and the memories learned from it), False (the
    conversation only: its memories stay, without a source to show) or None (cancel).
    With nothing learned there is no choice to make, only a confirmation. Cancel has
    the focus, so a stray Enter deletes nothing.
    """

    BINDINGS = [Binding("escape", "dismiss_none", "Cancel")]

    def __init__(self, title: str, learned: list[str]) -> None:
        super().__init__()
        self.conversation_title = title
        self.learned = learned

    def compose(self) -> ComposeResult:
        learned = self.learned
        with Vertical(id="delete-prompt", classes="dialog compact"):
            yield Label(f"Delete “{self.conversation_title}”?", classes="dialog-title")
            if learned:
                lines = [f"It taught {plural(len(learned))}:"]
                lines += [f"  • {text}" for text in learned[:LEARNED_SHOWN]]
                if len(learned) > LEARNED_SHOWN:
                    lines.append(f"  … and {len(learned) - LEARNED_SHOWN} more")
            else:
                lines = ["Nothing was learned from it."]
            yield Static("\n".join(lines), id="delete-learned", markup=False)
            with Horizontal(id="delete-buttons"):
                if learned:
                    yield Button(
                        "Delete with what was learned", id="delete-with-memories", variant="error"
                    )
                    yield Button("Delete conversation only", id="delete-only", variant="warning")
                else:
                    yield Button("Delete", id="delete-only", variant="error")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "delete-with-memories":
            self.dismiss(True)
        elif event.button.id == "delete-only":
            self.dismiss(False)
        else:
            self.dismiss(None)

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


class ReasonPrompt(ModalScreen[str | None]):
    """Ask why a reply was bad. Enter sends (the reason may be empty); Esc cancels."""

    BINDINGS = [Binding("escape", "dismiss_none", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="reason-prompt", classes="dialog compact"):
            yield Label("👎 What was wrong? (optional)", classes="dialog-title")
            yield Input(placeholder="too long, wrong units, …", id="reason")
            yield Label("Enter records it, Esc cancels", classes="dialog-hint")

    @on(Input.Submitted, "#reason")
    def _send(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class RuleChoice:
    """What the user decided about a proposed rule; `text` is a rewording, if any."""

    keep: bool
    text: str | None = None


class RulePrompt(ModalScreen[RuleChoice | None]):
    """Show a rule learned from feedback: keep it, reword it, or discard it.

    Esc leaves the rule proposed, to decide later (`assistant rules`); while rewording,
    Esc only stops the rewording.
    """

    BINDINGS = [
        Binding("k", "keep", "Keep"),
        Binding("e", "edit", "Edit"),
        Binding("d", "discard", "Discard"),
        Binding("escape", "later", "Later"),
    ]

    def __init__(self, rule: Memory) -> None:
        super().__init__()
        self.rule = rule

    def compose(self) -> ComposeResult:
        with Vertical(id="rule-prompt", classes="dialog compact"):
            yield Label("A rule from your feedback", classes="dialog-title")
            yield Static(f"Learned: {self.rule.text}", id="rule-text", markup=False)
            yield Input(self.rule.text, id="rule-edit")
            with Horizontal(id="rule-buttons"):
                yield Button("Keep (k)", id="keep", variant="success")
                yield Button("Edit (e)", id="edit")
                yield Button("Discard (d)", id="discard", variant="error")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    @property
    def editing(self) -> bool:
        return self.query_one("#rule-edit", Input).has_class("-shown")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "keep":
            self.action_keep()
        elif event.button.id == "edit":
            self.action_edit()
        elif event.button.id == "discard":
            self.action_discard()

    @on(Input.Submitted, "#rule-edit")
    def _reworded(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        self.dismiss(RuleChoice(True, text if text and text != self.rule.text else None))

    def action_keep(self) -> None:
        self.dismiss(RuleChoice(True))

    def action_edit(self) -> None:
        editor = self.query_one("#rule-edit", Input)
        editor.add_class("-shown")
        editor.focus()

    def action_discard(self) -> None:
        self.dismiss(RuleChoice(False))

    def action_later(self) -> None:
        if self.editing:
            self.query_one("#rule-edit", Input).remove_class("-shown")
            self.query_one("#edit", Button).focus()
            return
        self.dismiss(None)
