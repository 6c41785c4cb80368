"""The chat's widgets: message bubbles and the status bar."""

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.geometry import Size
from textual.message import Message
from textual.reactive import Reactive, reactive
from textual.widget import Widget
from textual.widgets import Collapsible, Label, Markdown, Static
from textual.widgets.markdown import MarkdownFence

from assistant.tui.live_text import LiveText


class ChatLog(VerticalScroll):
    """The conversation, scrolled to the end as it grows."""

    # A change of virtual size (the chat grew) re-lays out the screen a second time in
    # Textual; the scrollbars, the only thing that depends on it, re-lay out on their own.
    virtual_size = Reactive(Size(0, 0), layout=False)


class UserBubble(Static):
    """A message the user sent (plain text: never parsed as markup)."""

    def __init__(self, text: str) -> None:
        super().__init__(text, markup=False, classes="bubble user")
        self.text = text


class ReplyBubble(Vertical):
    """An assistant reply: plain text while it streams, Markdown once it is whole.

    Parsing Markdown as tokens arrive took the UI thread's share of the two cores
    from generation (bench_streaming). A streaming reply is shown as plain text
    (LiveText, which only repaints what changed), extended at most every
    CHUNK_INTERVAL_S, and rendered as Markdown once, at the end, which also keeps code
    blocks exact whatever the chunking.

    A streaming reply can reserve the rows below the user's message (`reserve`): it
    then fills them without moving the chat, and keeps them once it is whole, until
    `release` (the next turn). Each move re-lays out and repaints the whole screen.

    `message_id` is the stored reply's id, set once the reply is finished; it stays
    empty for a reply that was never stored (incognito). A click selects the bubble as
    the target of feedback; a second click deselects it.

    A reasoning model's thinking (`reasoning`) sits above the answer in a block of its
    own, collapsed unless the session shows reasoning (`show_reasoning`); a bubble
    with no thinking shows no block.
    """

    virtual_size = Reactive(Size(0, 0), layout=False)  # see ChatLog

    def __init__(
        self,
        text: str = "",
        model: str = "",
        message_id: str = "",
        *,
        streaming: bool = False,
        reasoning: str = "",
        show_reasoning: bool = False,
    ) -> None:
        super().__init__(classes="bubble reply")
        self.text = text
        self.model = model
        self.message_id = message_id
        self.markdown = Markdown(text)
        self.live = LiveText(classes="live")
        # A streaming bubble shows its LiveText from the start (showing it at the first
        # token would re-lay out the screen while generation runs) and hides the empty
        # Markdown, which the screen would otherwise render at every update.
        self.live.display = streaming
        self.markdown.display = not streaming
        # Thinking streams into LiveText (cheap per update, but it grows in steps of
        # rows) and is shown whole, at its own height, in a Static once the reply is.
        self._reasoning = reasoning
        self.thinking = LiveText(classes="reasoning-text")
        self.thinking.display = False
        self.thought = Static(reasoning, markup=False, classes="reasoning-text")
        self.reasoning_block = Collapsible(
            self.thinking,
            self.thought,
            title=self._reasoning_title(),
            collapsed=not show_reasoning,
        )
        self.reasoning_block.add_class("reasoning")
        self.reasoning_block.display = bool(reasoning)

    @property
    def reasoning(self) -> str:
        """The thinking shown apart from the answer ("" for none)."""
        return self._reasoning

    def _reasoning_title(self, streaming: bool = False) -> str:
        words = len(self._reasoning.split())
        return "Thinking…" if streaming else f"Reasoning ({words} words)"

    def compose(self) -> ComposeResult:
        # The border is the body's: rows kept once the reply is whole stay blank.
        with Vertical(classes="reply-body"):
            yield self.reasoning_block
            yield self.markdown
            yield self.live

    def extend_reasoning(self, text: str) -> None:
        """Show more of the model's thinking, in its own block."""
        if not self.reasoning_block.display:
            self.reasoning_block.display = True
            self.reasoning_block.title = self._reasoning_title(streaming=True)
            self.thought.display = False
            self.thinking.display = True
        self._reasoning += text
        self.thinking.append(text)

    def show_reasoning(self, shown: bool) -> None:
        """Expand or collapse the thinking block (the session's toggle)."""
        self.reasoning_block.collapsed = not shown

    def reserve(self, rows: int) -> None:
        """Take at least `rows` rows of text while streaming and after (0: no reserve)."""
        self.live.reserve(rows)
        self.styles.min_height = rows or None

    def release(self) -> None:
        """Give back the reserved rows: the bubble takes its text's height again."""
        self.reserve(0)

    def extend(self, text: str) -> None:
        """Show more of the reply, unparsed (a bubble made with `streaming=True`)."""
        self.live.append(text)

    def restart(self) -> None:
        """Take back the reply text shown so far: another try streams in its place."""
        self.live.clear()

    async def finish(self, text: str) -> None:
        """Render the whole reply as Markdown, in place of the plain text."""
        self.text = text
        if self.reasoning_block.display:
            self._reasoning = self._reasoning.strip()
            self.reasoning_block.title = self._reasoning_title()
            self.thought.update(self._reasoning)
            self.thought.display = True
            self.thinking.display = False
            self.thinking.clear()
        await self.markdown.update(text)
        self.markdown.display = True
        self.live.display = False
        self.live.clear()

    class CodeClicked(Message):
        """A code block in a reply was clicked: its code, to copy."""

        def __init__(self, reply: "ReplyBubble", index: int) -> None:
            super().__init__()
            self.reply = reply
            self.index = index

    def code_blocks(self) -> list[MarkdownFence]:
        """The reply's code blocks, in order (none while it streams)."""
        return list(self.markdown.query(MarkdownFence))

    def mark_code(self, index: int) -> str:
        """Mark code block `index` as the one just copied (the code cursor); its code."""
        blocks = self.code_blocks()
        for at, block in enumerate(blocks):
            block.set_class(at == index, "-copied")
        return blocks[index].code.rstrip("\n")

    @property
    def marked_code(self) -> int | None:
        """The index of the code block last copied, if any."""
        for at, block in enumerate(self.code_blocks()):
            if block.has_class("-copied"):
                return at
        return None

    def on_click(self, event: events.Click) -> None:
        fence = _fence_of(event.widget)
        if fence is not None:
            self.post_message(self.CodeClicked(self, self.code_blocks().index(fence)))
        selected = not self.has_class("-selected")
        if self.parent is not None:
            for bubble in self.parent.query_children(ReplyBubble):
                bubble.remove_class("-selected")
        self.set_class(selected, "-selected")


def _fence_of(widget: Widget | None) -> MarkdownFence | None:
    """The code block a clicked widget belongs to, if any."""
    while widget is not None:
        if isinstance(widget, MarkdownFence):
            return widget
        parent = widget.parent
        widget = parent if isinstance(parent, Widget) else None
    return None


class StatusBar(Label):
    """Model, context used and speed; or loading progress. Marks an incognito chat and
    names the LoRA adapter the model runs with (`adapter`, empty for none)."""

    incognito: reactive[bool] = reactive(False)
    adapter: reactive[str] = reactive("")

    def __init__(self) -> None:
        super().__init__("Starting…", id="status", markup=False)
        self._line = "Starting…"

    def show(self, line: str) -> None:
        """Replace the status line (the incognito mark stays)."""
        self._line = line
        self._render_line()

    def watch_incognito(self) -> None:
        self.set_class(self.incognito, "-incognito")
        self._render_line()

    def watch_adapter(self) -> None:
        self._render_line()

    def _render_line(self) -> None:
        marks = [m for m in ("incognito" if self.incognito else "", self.adapter) if m]
        self.update(" · ".join([*marks, self._line]))
