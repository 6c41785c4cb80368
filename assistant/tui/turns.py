"""The chat half of the app: a draft, a turn streamed into the chat, what it learned.

A turn runs in a thread worker; the worker posts the core's turn events as they come
(`TurnProgressed`), reply text in batches, and each event reaches the method of its
name. Replies render as plain text while they stream and as Markdown once whole.
"""

import logging
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from textual import on, work
from textual.timer import Timer
from textual.widgets import TextArea

from assistant.compose import (
    Environment,
)
from assistant.core.errors import AssistantError
from assistant.core.service import (
    BackendLoader,
    ReasoningDelta,
    ReplyDelta,
    ReplyEnded,
    ReplyRestarted,
    TurnEvent,
    TurnFinished,
    TurnStarted,
)
from assistant.tui.events import (
    DatasetExported,
    MemoryLearned,
    TurnFailed,
    TurnProgressed,
)
from assistant.tui.feedback import FeedbackApp
from assistant.tui.live_text import GROW_ROWS, wrap_rows
from assistant.tui.prompt import PromptArea
from assistant.tui.text import plural
from assistant.tui.welcome import Welcome
from assistant.tui.widgets import ReplyBubble, StatusBar, UserBubble

log = logging.getLogger(__name__)
# How often streamed text reaches the screen. Ten updates a second still reads as
# live; each costs the UI thread CPU that generation loses (bench_streaming).
CHUNK_INTERVAL_S = 0.1
# A pause this long in typing embeds the draft for recall before Enter is pressed.
DRAFT_PAUSE_S = 0.3
TurnFactory = Callable[[], Iterator[TurnEvent]]
T = TypeVar("T")


class TurnsApp(FeedbackApp):
    """Sending, streaming, stopping, regenerating and copying replies."""

    env: Environment
    conversation_id: str | None
    pending_system_prompt: str | None
    editing: bool
    incognito: bool
    show_reasoning: bool
    switching: bool
    loader_for: Callable[[str], BackendLoader]
    _turn_incognito: bool
    _reply: ReplyBubble | None
    _reserved: ReplyBubble | None
    _draft_timer: Timer | None
    _pending_user_text: str | None

    @property
    def status(self) -> StatusBar:
        return self.query_one(StatusBar)

    def _guarded(self, call: Callable[[], T]) -> T | None:
        """Run a store call from the UI thread; an error becomes a notification."""
        try:
            return call()
        except AssistantError as exc:
            self.notify(f"{exc.message}\n{exc.hint}", title="Error", severity="error")
            return None

    @on(TextArea.Changed, "#prompt")
    def _draft_changed(self, event: TextArea.Changed) -> None:
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        draft = event.text_area.text
        if draft.strip():
            self._draft_timer = self.set_timer(DRAFT_PAUSE_S, lambda: self._prefetch_draft(draft))

    def _prefetch_draft(self, text: str) -> None:
        """Let recall embed the draft now, so the turn skips it when the user sends it.

        The draft comes with the timer, not from the screen: the timer can fire while
        the app is closing and its widgets are gone.
        """
        self._draft_timer = None
        if self.busy or self.incognito or not self.assistant.loaded or text.startswith("/"):
            return
        self.assistant.prefetch(text)

    @on(PromptArea.Submitted, "#prompt")
    def _submit(self, event: PromptArea.Submitted) -> None:
        text = event.value
        if not text.strip():
            return
        command, _, argument = text.strip().partition(" ")
        if command == "/correct":
            self._correct(argument.strip())
            return
        if self.busy:
            self.notify("A reply is still streaming; press Esc to stop it.", severity="warning")
            return
        if not self.assistant.loaded or self.switching:
            self.notify("The model is still loading; your message is kept.", severity="warning")
            return
        event.prompt.value = ""
        event.prompt.earlier.add(text)
        if self.editing and self.conversation_id:
            self.editing = False
            editing_id = self.conversation_id
            self._remove_last_turn()
            self._start_turn(lambda: self.assistant.edit_last(editing_id, text), text)
            return
        self.editing = False
        # An incognito turn cannot continue a stored conversation: each one starts afresh.
        incognito = self.incognito
        current_id = None if incognito else self.conversation_id
        system_prompt = self.pending_system_prompt
        self._start_turn(
            lambda: self.assistant.send(
                text, current_id, system_prompt=system_prompt, incognito=incognito
            ),
            text,
            incognito,
        )

    def _start_turn(
        self, turn: TurnFactory, user_text: str | None, incognito: bool = False
    ) -> None:
        self.busy = True
        self.offer = None  # an offer is about the reply before this turn only
        self._turn_incognito = incognito
        self._pending_user_text = user_text
        self._run_turn(turn, user_text)

    @work(thread=True, exclusive=True, group="turn")
    def _run_turn(self, turn: TurnFactory, user_text: str | None) -> None:
        # Tokens are handed to the screen in batches, at most every CHUNK_INTERVAL_S:
        # one message and one screen update per token made the UI thread compete
        # with generation for the GIL and the cores (bench_streaming: 0.58x bare).
        # Thinking (ReasoningDelta) is batched the same way, apart from the reply text.
        pending: list[str] = []
        pending_kind: type[ReplyDelta] | type[ReasoningDelta] = ReplyDelta
        posted = 0.0

        def flush() -> None:
            if pending:
                self.post_message(TurnProgressed(pending_kind("".join(pending))))
                pending.clear()

        try:
            for event in turn():
                if isinstance(event, ReplyDelta | ReasoningDelta):
                    if type(event) is not pending_kind:
                        flush()
                        pending_kind = type(event)
                    pending.append(event.text)
                    now = time.monotonic()
                    if now - posted >= CHUNK_INTERVAL_S:
                        flush()
                        posted = now
                    continue
                flush()
                self.post_message(TurnProgressed(event))
        except AssistantError as exc:
            self.post_message(TurnFailed(exc.message, exc.hint))
        except Exception as exc:
            log.exception("turn failed")
            self.post_message(TurnFailed(f"unexpected error: {exc}", "see the log file"))

    async def on_turn_progressed(self, message: TurnProgressed) -> None:
        """Hand each turn event to the method of its name."""
        event = message.event
        if isinstance(event, ReplyDelta):
            self.reply_delta(event)
        elif isinstance(event, ReplyRestarted):
            self.reply_restarted()
        elif isinstance(event, ReasoningDelta):
            self.reasoning_delta(event)
        elif isinstance(event, TurnStarted):
            await self.turn_started(event)
        elif isinstance(event, ReplyEnded):
            await self.reply_ended(event)
        else:
            await self.turn_finished(event)

    async def turn_started(self, event: TurnStarted) -> None:
        """The user's message is stored: show it, and reserve room for the reply."""
        if not self._turn_incognito:
            self.conversation_id = event.conversation.id
            self.pending_system_prompt = None
        if self._reserved is not None:
            self._reserved.release()
        await self.chat.query(Welcome).remove()
        if event.user_message is not None:
            await self.chat.mount(UserBubble(event.user_message.content))
        users = list(self.chat.query_children(UserBubble))
        self._reply = self._reserved = ReplyBubble(
            model=self.assistant.backend.name,
            streaming=True,
            show_reasoning=self.show_reasoning,
        )
        self._reply.reserve(self._rows_below(users[-1]) if users else 0)
        await self.chat.mount(self._reply)
        self.status.show(f"{self.assistant.backend.name} · generating…")

    def _rows_below(self, user: UserBubble) -> int:
        """The rows a reply to `user` can fill without moving the chat: the chat's height
        less the user's message, shown whole at the top (0 when that leaves too few).

        The reply then streams into rows already laid out, as a page fills, instead of
        pushing the chat up a step at a time: each push re-laid out and repainted the
        whole screen, most of the UI thread's work while a reply streamed
        (bench_streaming). The reply bubble has the user bubble's margin above it.
        """
        region = self.chat.scrollable_content_region
        styles = user.styles
        width = max(region.width - styles.gutter.width, 1)
        text_rows = sum(len(wrap_rows(line, width)) for line in user.text.split("\n"))
        rows = region.height - text_rows - styles.gutter.height - 2 * styles.margin.top
        return rows if rows >= GROW_ROWS else 0

    def reply_delta(self, event: ReplyDelta) -> None:
        """A batch of reply text, shown as it streams."""
        if self._reply is not None:
            self._reply.extend(event.text)

    def reply_restarted(self) -> None:
        """The first try only recited the instructions: what it showed goes."""
        if self._reply is not None:
            self._reply.restart()

    def reasoning_delta(self, event: ReasoningDelta) -> None:
        """A batch of the model's thinking, shown apart from the reply."""
        if self._reply is not None:
            self._reply.extend_reasoning(event.text)

    async def reply_ended(self, event: ReplyEnded) -> None:
        """The final render, while the core stores the reply."""
        if self._reply is not None:
            await self._reply.finish(event.text)

    async def turn_finished(self, turn: TurnFinished) -> None:
        """The reply is stored: learn from the turn, and show what it used."""
        if self._reply is not None:
            self._reply.message_id = "" if turn.incognito else turn.reply.id
            self._reply = None
        self.busy = False
        self._learn(turn)
        if turn.offer is not None:
            self.offer = turn.offer
            self.notify(
                f"Looks like a correction: '{turn.offer.right}'. Press f7 to remember it.",
                title="Correction?",
                timeout=20,
                markup=False,
            )
        usage = turn.usage
        used = usage.prompt_tokens + usage.completion_tokens
        state = " · stopped" if usage.stopped else ""
        backend = self.assistant.backend
        self.status.show(
            f"{backend.name} · context {used}/{backend.context_length}"
            f" · {usage.tokens_per_second:.1f} tok/s{state}"
        )

    @work(thread=True, group="learn")
    def _learn(self, turn: TurnFinished) -> None:
        """Learning runs beside the chat: it never delays the next reply."""
        try:
            after = self.assistant.after_turn(turn)
        except AssistantError as exc:
            log.warning("learning failed: %s", exc.message)
            return
        except Exception:
            log.exception("learning failed")
            return
        if after.learned:
            self.post_message(MemoryLearned(after.learned))
        if after.exported is not None:
            self.post_message(DatasetExported(after.exported.path, after.exported.counts))

    def on_memory_learned(self, event: MemoryLearned) -> None:
        lines = [("✓ " if m.status == "active" else "✗ ") + m.text for m in event.memories]
        self.notify("\n".join(lines), title="Learned")
        active = sum(m.status == "active" for m in event.memories)
        others = len(event.memories) - active
        self.memories_changed(
            f"{plural(active)} learned" + (f", {others} superseded" if others else "")
        )

    async def on_turn_failed(self, event: TurnFailed) -> None:
        self.busy = False
        prompt = self.query_one("#prompt", PromptArea)
        if not prompt.value and self._pending_user_text and self._reply is None:
            prompt.value = self._pending_user_text  # the message was not sent: keep it
        self._reply = None
        self.status.show(f"Error: {event.message_text}")
        self.notify(f"{event.message_text}\n{event.hint}", title="Error", severity="error")

    def watch_busy(self, busy: bool) -> None:
        if self.is_running:  # a turn can end while the app closes and its widgets go
            for prompt in self.query("#prompt").results(PromptArea):
                prompt.cursor_blink = not busy

    def action_stop(self) -> None:
        if self.busy:
            self.assistant.stop()
        elif self.editing:
            self.editing = False
            self.query_one("#prompt", PromptArea).value = ""

    def action_regenerate(self) -> None:
        if self.busy or self.conversation_id is None or not self.assistant.loaded:
            return
        bubbles = list(self.chat.query(ReplyBubble))
        if bubbles:
            bubbles[-1].remove()
        conversation_id = self.conversation_id
        self._start_turn(lambda: self.assistant.regenerate(conversation_id), None)

    def action_edit_last(self) -> None:
        users = list(self.chat.query(UserBubble))
        prompt = self.query_one("#prompt", PromptArea)
        if self.busy or not users or prompt.value:
            return
        prompt.value = users[-1].text
        prompt.focus()
        self.editing = True
        self.notify("Editing your last message: Enter resends it, Esc cancels.")

    def action_toggle_reasoning(self) -> None:
        """Show or hide reasoning models' thinking, for every reply of this session."""
        self.show_reasoning = not self.show_reasoning
        for bubble in self.chat.query(ReplyBubble):
            bubble.show_reasoning(self.show_reasoning)
        state = "shown" if self.show_reasoning else "hidden"
        self.notify(f"Reasoning {state} (f3 toggles it).")

    def _remove_last_turn(self) -> None:
        children = list(self.chat.children)
        last_user = max(
            (i for i, w in enumerate(children) if isinstance(w, UserBubble)), default=None
        )
        if last_user is not None:
            for widget in children[last_user:]:
                widget.remove()

    def _chosen_reply(self) -> ReplyBubble | None:
        """The selected reply (a click selects one), else the latest."""
        replies = list(self.chat.query(ReplyBubble))
        chosen = [b for b in replies if b.has_class("-selected")] or replies[-1:]
        return chosen[0] if chosen else None

    def action_copy_reply(self) -> None:
        chosen = self._chosen_reply()
        if chosen is None:
            self.notify("There is no reply to copy yet.")
            return
        self.copy_to_clipboard(chosen.text)
        self.notify("Reply copied to the clipboard.")

    def action_copy_code(self) -> None:
        """Copy a code block of the selected (else latest) reply: the next one after the
        block copied last, so pressing again walks through them."""
        chosen = self._chosen_reply()
        blocks = chosen.code_blocks() if chosen else []
        if not blocks:
            self.notify("There is no code block in the reply to copy.")
            return
        assert chosen is not None
        marked = chosen.marked_code
        self._copy_code(chosen, 0 if marked is None else (marked + 1) % len(blocks))

    def on_reply_bubble_code_clicked(self, event: ReplyBubble.CodeClicked) -> None:
        self._copy_code(event.reply, event.index)

    def _copy_code(self, bubble: ReplyBubble, index: int) -> None:
        for other in self.chat.query(ReplyBubble):
            if other is not bubble and other.marked_code is not None:
                for block in other.code_blocks():
                    block.remove_class("-copied")
        code = bubble.mark_code(index)
        self.copy_to_clipboard(code)
        count = len(bubble.code_blocks())
        which = f"Code block {index + 1} of {count}" if count > 1 else "Code block"
        self.notify(f"{which} copied to the clipboard.")
