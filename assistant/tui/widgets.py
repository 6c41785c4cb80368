"""The chat's widgets: message bubbles and the status bar."""

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Markdown, Static


class UserBubble(Static):
    """A message the user sent (plain text: never parsed as markup)."""

    def __init__(self, text: str) -> None:
        super().__init__(text, markup=False, classes="bubble user")
        self.text = text


class ReplyBubble(Vertical):
    """An assistant reply, rendered as Markdown and streamed in place."""

    def __init__(self, text: str = "", model: str = "") -> None:
        super().__init__(classes="bubble reply")
        self.text = text
        self.model = model
        self.markdown = Markdown(text)

    def compose(self) -> ComposeResult:
        yield self.markdown


class StatusBar(Label):
    """Model, context used and speed; or loading progress."""

    def __init__(self) -> None:
        super().__init__("Starting…", id="status")
