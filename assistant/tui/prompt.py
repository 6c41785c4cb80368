"""The message prompt: multi-line, Enter sends, and up/down walk earlier messages.

An `Input` holds one line: a pasted paragraph lost its line breaks and there was no
way to type a second line. The prompt is a TextArea instead, where Enter sends and
shift+enter (or ctrl+j, for terminals that do not report shift+enter) starts a new
line. TextArea's own f6, f7 and ctrl+y (select line, select all, redo) would shadow
the app's thumbs-down, remember-correction and copy-reply keys while the prompt has
focus, so the prompt leaves them out (redo stays on ctrl+shift+z).
"""

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import TextArea

# TextArea actions whose keys the app uses for its own.
_YIELDED_ACTIONS = {"select_line", "select_all", "redo"}


def _kept_bindings() -> list[BindingType]:
    kept = [
        b
        for b in TextArea.BINDINGS
        if not (isinstance(b, Binding) and b.action in _YIELDED_ACTIONS)
    ]
    return [
        *kept,
        Binding("ctrl+shift+z,super+y", "redo", "Redo", show=False),
        Binding("shift+enter,ctrl+j", "newline", "New line", show=False),
    ]


class PromptHistory:
    """The user's earlier messages, walked with up and down from an empty prompt.

    Walking starts only from an empty prompt and goes on while the prompt still shows
    the message walked to, so up and down move the cursor as usual in a draft.
    """

    def __init__(self, entries: list[str] | None = None) -> None:
        self.entries: list[str] = []
        self._at: int | None = None
        for entry in entries or []:
            self.add(entry)

    def add(self, text: str) -> None:
        """Remember a sent message (a repeat of the newest is not kept twice)."""
        self._at = None
        if text and (not self.entries or self.entries[-1] != text):
            self.entries.append(text)

    def seed(self, older: list[str]) -> None:
        """Put messages from before this session behind the ones sent in it."""
        known = self.entries
        self.entries = []
        for entry in [*older, *known]:
            if not self.entries or self.entries[-1] != entry:
                self.entries.append(entry)
        self._at = None

    def _walking(self, shown: str) -> bool:
        return self._at is not None and self.entries[self._at] == shown

    def older(self, shown: str) -> str | None:
        """The message before the one shown (the newest from an empty prompt), or
        None when up should move the cursor instead."""
        if not self.entries:
            return None
        if self._walking(shown):
            assert self._at is not None
            self._at = max(self._at - 1, 0)
        elif not shown:
            self._at = len(self.entries) - 1
        else:
            return None
        return self.entries[self._at]

    def newer(self, shown: str) -> str | None:
        """The message after the one shown ("" past the newest), or None when down
        should move the cursor instead."""
        if not self._walking(shown):
            return None
        assert self._at is not None
        if self._at == len(self.entries) - 1:
            self._at = None
            return ""
        self._at += 1
        return self.entries[self._at]


class PromptArea(TextArea, inherit_bindings=False):
    """Where the user types: Enter posts `Submitted`, shift+enter adds a line."""

    BINDINGS = _kept_bindings()

    class Submitted(Message):
        """Enter was pressed; `value` is the prompt's text."""

        def __init__(self, prompt: "PromptArea", value: str) -> None:
            super().__init__()
            self.prompt = prompt
            self.value = value

        @property
        def control(self) -> "PromptArea":
            return self.prompt

    def __init__(self, placeholder: str, id: str) -> None:
        super().__init__(
            placeholder=placeholder,
            id=id,
            soft_wrap=True,
            tab_behavior="focus",
            highlight_cursor_line=False,
        )
        self.earlier = PromptHistory()

    @property
    def value(self) -> str:
        """The text typed so far (the name Input used)."""
        return self.text

    @value.setter
    def value(self, text: str) -> None:
        self.text = text
        self.move_cursor(self.document.end)

    def action_submit(self) -> None:
        """Send the text (what Enter does)."""
        self.post_message(self.Submitted(self, self.text))

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter" and not self.read_only:
            event.stop()
            event.prevent_default()
            self.action_submit()
            return
        await super()._on_key(event)

    def action_newline(self) -> None:
        """Insert a line break at the cursor (shift+enter)."""
        self.insert("\n")

    def action_cursor_up(self, select: bool = False) -> None:
        recalled = None if select else self.earlier.older(self.text)
        if recalled is None:
            super().action_cursor_up(select)
        else:
            self.value = recalled

    def action_cursor_down(self, select: bool = False) -> None:
        recalled = None if select else self.earlier.newer(self.text)
        if recalled is None:
            super().action_cursor_down(select)
        else:
            self.value = recalled
