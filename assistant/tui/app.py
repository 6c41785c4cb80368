"""The Textual app: paints at once, loads the model in a worker, streams replies.

Widgets call only Assistant methods. Turns run in a thread worker; the worker posts
the core's turn events (`ReplyDelta`, `TurnFinished`, …) and the app renders them: reply
text in batches, as plain text while it streams and as Markdown once it is whole
(`ReplyBubble`).

Feedback on replies (thumbs, corrections, learned rules, the learning report) lives in
the `FeedbackApp` base class; its core calls run in a thread worker as turns do. The
memory browser is a screen of its own that runs its core calls itself; it hands back
a conversation to open, if the user jumps to where a memory came from.
"""

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Vertical
from textual.reactive import var
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, TextArea

from assistant.compose import (
    Environment,
    ModelChoice,
    build_assistant,
    loader_for_model,
    model_choices,
)
from assistant.core.errors import AssistantError
from assistant.core.ports.chat import ChatBackend
from assistant.core.ports.embedder import Embedder
from assistant.core.records import Conversation, Message
from assistant.core.service import (
    Assistant,
    BackendLoader,
    ReasoningDelta,
    ReplyDelta,
    ReplyEnded,
    TurnEvent,
    TurnFinished,
    TurnStarted,
    reasoning_of,
)
from assistant.system.logs import forward_notices
from assistant.tui.documents import (
    DocumentsScreen,
    DocumentsSynced,
    sync_documents,
    sync_summary,
)
from assistant.tui.events import (
    DatasetExported,
    HistoryLoaded,
    LearnedCounted,
    LoadFailed,
    LoadProgressed,
    MemoryLearned,
    ModelReady,
    ModelSwitched,
    ModelSwitchFailed,
    TurnFailed,
    TurnProgressed,
)
from assistant.tui.feedback import FeedbackApp
from assistant.tui.live_text import GROW_ROWS, wrap_rows
from assistant.tui.memory_browser import MemoryBrowser, notify_leftovers, plural
from assistant.tui.model_picker import ModelPicker
from assistant.tui.prompt import PromptArea
from assistant.tui.screens import (
    ConversationDeleted,
    ConversationPicker,
    DeleteConversationPrompt,
    SystemPromptEditor,
)
from assistant.tui.welcome import Learned, Welcome
from assistant.tui.widgets import ChatLog, ReplyBubble, StatusBar, UserBubble

log = logging.getLogger(__name__)
# How often streamed text reaches the screen. Ten updates a second still reads as
# live; each costs the UI thread CPU that generation loses (bench_streaming).
CHUNK_INTERVAL_S = 0.1
# A pause this long in typing embeds the draft for recall before Enter is pressed.
DRAFT_PAUSE_S = 0.3
# Up in an empty prompt walks back through this many of the user's messages from the
# latest conversations (read once, after loading).
HISTORY_CONVERSATIONS = 20
HISTORY_ENTRIES = 200
TurnFactory = Callable[[], Iterator[TurnEvent]]
T = TypeVar("T")


class AssistantApp(FeedbackApp):
    """The chat app over one Assistant."""

    CSS_PATH = "app.tcss"
    TITLE = "assistant"
    BINDINGS = [
        Binding("escape", "stop", "Stop", priority=True),
        Binding("ctrl+r", "regenerate", "Regenerate"),
        Binding("f2", "edit_last", "Edit last"),
        Binding("f3", "toggle_reasoning", "Reasoning"),
        Binding("ctrl+y", "copy_reply", "Copy reply"),
        Binding("ctrl+g", "copy_code", "Copy code block"),
        Binding("ctrl+n", "new_conversation", "New"),
        Binding("ctrl+o", "conversations", "Conversations"),
        Binding("ctrl+s", "system_prompt", "System prompt"),
        # Function keys: the prompt keeps the ctrl+letter keys for editing.
        Binding("f4", "memories", "Memories"),
        Binding("f5", "thumbs_up", "Thumbs up"),
        Binding("f6", "thumbs_down", "Thumbs down"),
        Binding("f7", "accept_offer", "Remember correction"),
        Binding("f8", "incognito", "Incognito"),
        Binding("f9", "learning_report", "Learning report"),
        Binding("f12", "documents", "Documents"),
    ]

    # True while a turn runs. The prompt's cursor stops blinking meanwhile: each blink
    # is a screen update that takes UI-thread time from generation (bench_streaming).
    busy: var[bool] = var(False, init=False)

    def __init__(self, env: Environment, assistant: Assistant) -> None:
        super().__init__()
        self.env = env
        self.assistant = assistant
        self.conversation_id: str | None = None
        self.pending_system_prompt: str | None = None
        self.editing = False
        self.incognito = False
        self._turn_incognito = False
        self._reply: ReplyBubble | None = None
        self._reserved: ReplyBubble | None = None  # the reply keeping rows below it
        self._draft_timer: Timer | None = None
        self._last_usage_line = ""
        self.show_reasoning = False  # for the session: thinking blocks start collapsed
        self.switching = False  # a model picked from the palette is loading
        # How a model picked from the palette loads (tests put a scripted one here).
        self.loader_for: Callable[[str], BackendLoader] = lambda model: loader_for_model(env, model)
        self._restore_theme()

    # -- layout --------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield ChatLog(self._welcome(), id="chat")
        # One box around what sits below the chat: the screen renders every widget
        # beside the chat for each update of a streaming reply, but skips a box's
        # children that are nowhere near it.
        with Vertical(id="bottom"):
            yield PromptArea("Message (Enter sends, shift+enter: new line)", id="prompt")
            yield StatusBar()
            yield Footer()

    def on_mount(self) -> None:
        forward_notices(self._notice)
        self.query_one("#prompt", PromptArea).focus()
        self.chat.anchor()
        self._load_model()

    def _welcome(self) -> Welcome:
        """The greeting an empty chat shows until the first message."""
        model = self.assistant.backend.name if self.assistant.loaded else None
        return Welcome(self.assistant.settings, model)

    @work(thread=True, exclusive=True, group="welcome")
    def _count_learned(self) -> None:
        """Count what was learned, for the welcome (a store read: off the UI thread)."""
        try:
            learned = Learned.count(self.assistant.memories(), len(self.assistant.conversations()))
        except AssistantError as exc:
            log.warning("cannot count what was learned: %s", exc.message)
            return
        self.post_message(LearnedCounted(learned))

    def on_learned_counted(self, event: LearnedCounted) -> None:
        for welcome in self.chat.query(Welcome):
            welcome.counted(event.learned)

    def _notice(self, text: str) -> None:
        """A warning from the core (a repaired store), from whichever thread logged it."""
        if threading.get_ident() == self._thread_id:
            self.notify(text, severity="warning", timeout=30)
        else:
            self.call_from_thread(self.notify, text, severity="warning", timeout=30)

    @property
    def status(self) -> StatusBar:
        return self.query_one(StatusBar)

    # -- theme ---------------------------------------------------------------

    def _restore_theme(self) -> None:
        try:
            state = json.loads(self.env.paths.ui_state_file.read_text())
            if state.get("theme") in self.available_themes:
                self.theme = state["theme"]
        except (OSError, ValueError):
            pass

    def watch_theme(self, theme: str) -> None:
        path = self.env.paths.ui_state_file
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"theme": theme}))
        except OSError as exc:
            log.warning("cannot save the theme: %s", exc)

    # -- loading -------------------------------------------------------------

    @work(thread=True, exclusive=True, group="load")
    def _load_model(self) -> None:
        try:
            self.assistant.load(self._report_progress, embedder=True)
        except AssistantError as exc:
            self.post_message(LoadFailed(exc.message, exc.hint))
            return
        except Exception as exc:
            log.exception("loading failed")
            self.post_message(LoadFailed(f"loading failed: {exc}", "see the log file"))
            return
        self.post_message(ModelReady())
        self._load_history()
        self._export_if_due()  # "checked on start": the embedder is loaded by now

    def _export_if_due(self) -> None:
        """At level full, a due dataset export runs in the calling worker thread."""
        result = self.assistant.export_if_due()
        if result is not None:
            self.post_message(DatasetExported(result.path, result.counts))

    def _load_history(self) -> None:
        """Seed the prompt's history with the user's earlier messages (worker thread)."""
        texts: list[str] = []
        try:
            for conversation in reversed(self.assistant.conversations()[:HISTORY_CONVERSATIONS]):
                messages = self.assistant.messages(conversation.id)
                texts += [m.content for m in messages if m.role == "user"]
        except AssistantError as exc:
            log.warning("cannot read the prompt history: %s", exc.message)
            return
        self.post_message(HistoryLoaded(texts[-HISTORY_ENTRIES:]))

    def on_history_loaded(self, event: HistoryLoaded) -> None:
        self.query_one("#prompt", PromptArea).earlier.seed(event.texts)

    def on_dataset_exported(self, event: DatasetExported) -> None:
        counts = event.counts
        self.notify(
            f"{plural(counts['sft'], 'example')}, {plural(counts['dpo'], 'preference pair')}"
            f"\n{event.path}",
            title="Dataset exported",
        )

    def _report_progress(self, line: str) -> None:
        self.post_message(LoadProgressed(line))

    def on_load_progressed(self, event: LoadProgressed) -> None:
        self.status.show(event.text)

    @work(thread=True, exclusive=True, group="documents")
    def _sync_documents(self) -> None:
        """Bring the document index up to date on start; unchanged files cost a stat."""
        sync_documents(self.assistant, self.post_message)

    def on_documents_synced(self, event: DocumentsSynced) -> None:
        summary = sync_summary(event.report)
        if summary:
            self.notify(summary, title="Documents synced")

    def on_model_ready(self) -> None:
        from assistant.weights.adapters import status_label

        backend = self.assistant.backend
        self.status.adapter = status_label(backend)
        self.status.show(f"{backend.name} · context {backend.context_length} · ready")
        for welcome in self.chat.query(Welcome):
            welcome.loaded(backend.name)
        self._count_learned()
        self._sync_documents()

    def on_load_failed(self, event: LoadFailed) -> None:
        self.status.show(f"Model not loaded: {event.message_text}")
        self.notify(
            f"{event.message_text}\n{event.hint}",
            title="Cannot load the model",
            severity="error",
            timeout=30,
        )

    # -- sending -------------------------------------------------------------

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

    # -- actions -------------------------------------------------------------

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

    def action_new_conversation(self) -> None:
        if self.busy:
            return
        self.conversation_id = None
        self.pending_system_prompt = None
        self.offer = None
        self.chat.remove_children()
        self.chat.mount(self._welcome())
        if self.assistant.loaded:
            self._count_learned()
        self.status.show("New conversation")
        self.query_one("#prompt", PromptArea).focus()

    def action_incognito(self) -> None:
        if self.busy:
            return
        self._set_incognito(not self.incognito)
        self.action_new_conversation()
        if self.incognito:
            self.notify("Incognito: nothing is stored, and each message starts afresh.")
        else:
            self.notify("Incognito off: chats are stored again.")

    def _set_incognito(self, on: bool) -> None:
        self.incognito = on
        self.status.incognito = on

    def action_conversations(self) -> None:
        if self.busy:
            return

        def search(query: str) -> list[Conversation]:
            return self._guarded(lambda: self.assistant.conversations(query)) or []

        self.push_screen(ConversationPicker(search), self._open_conversation)

    async def _open_conversation(self, conversation_id: str | None) -> None:
        if conversation_id is None:
            return
        if self.busy:  # the memory browser stays usable while a reply streams
            self.notify("A reply is still streaming; press Esc to stop it.", severity="warning")
            return
        await self.show_conversation(conversation_id)

    @on(ConversationPicker.DeleteRequested)
    def _confirm_delete(self, event: ConversationPicker.DeleteRequested) -> None:
        """Ask what to do with what the conversation taught, then delete in a worker."""
        conversation = event.conversation
        learned = self._guarded(lambda: self.assistant.learned_from(conversation.id))
        if learned is None:
            return

        def chosen(with_memories: bool | None) -> None:
            if with_memories is None:
                return
            self._call_core(
                lambda: ConversationDeleted(
                    conversation,
                    self.assistant.erase_conversation(conversation.id, with_memories),
                )
            )

        texts = [m.text for m in learned]
        self.push_screen(DeleteConversationPrompt(conversation.title, texts), chosen)

    def on_conversation_deleted(self, event: ConversationDeleted) -> None:
        if event.conversation.id == self.conversation_id:
            self.action_new_conversation()
        if isinstance(self.screen, ConversationPicker):
            self.screen.refill()
        also = f" and {plural(len(event.memories))} learned from it" if event.memories else ""
        self.notify(f"Deleted “{event.conversation.title}”{also}.", markup=False)
        notify_leftovers(self, event.leftovers)

    def action_documents(self) -> None:
        """The Documents screen, open at what the selected (else latest) reply cites."""
        chosen = self._chosen_reply()
        self.push_screen(DocumentsScreen(self.assistant, chosen.text if chosen else ""))

    def action_memories(self) -> None:
        self.push_screen(MemoryBrowser(self.assistant), self._open_conversation)

    async def show_conversation(self, conversation_id: str) -> None:
        """Replace the chat view with a stored conversation."""
        messages = self._guarded(lambda: self.assistant.messages(conversation_id))
        if messages is None:
            return
        await self.chat.remove_children()
        await self.chat.mount_all(self._bubble(m) for m in messages)
        self._set_incognito(False)  # a stored conversation goes on stored
        self.conversation_id = conversation_id
        self.pending_system_prompt = None
        self.offer = None
        title = self._guarded(lambda: self.assistant.conversation(conversation_id).title)
        self.status.show(title or "")
        self.chat.scroll_end(animate=False)

    def _bubble(self, message: Message) -> UserBubble | ReplyBubble:
        if message.role == "user":
            return UserBubble(message.content)
        return ReplyBubble(
            message.content,
            message.model,
            message.id,
            reasoning=reasoning_of(message),
            show_reasoning=self.show_reasoning,
        )

    def action_system_prompt(self) -> None:
        if self.conversation_id is not None:
            conversation_id = self.conversation_id
            current = self._guarded(
                lambda: self.assistant.conversation(conversation_id).system_prompt
            )
            if current is None:
                return
        else:
            current = self.pending_system_prompt or self.assistant.settings.system_prompt
        self.push_screen(SystemPromptEditor(current), self._save_system_prompt)

    def _save_system_prompt(self, text: str | None) -> None:
        if text is None:
            return
        if self.conversation_id is None:
            self.pending_system_prompt = text
        else:
            conversation_id = self.conversation_id
            if (
                self._guarded(lambda: self.assistant.set_system_prompt(conversation_id, text))
                is None
            ):
                return
        self.notify("System prompt saved for this conversation.")

    # -- helpers ---------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Esc is a priority binding (it must stop a reply from anywhere), so without
        # this it would reach the app before a dialog's own Esc could close it.
        return not (action == "stop" and len(self.screen_stack) > 1)

    def _guarded(self, call: Callable[[], T]) -> T | None:
        """Run a store call from the UI thread; an error becomes a notification."""
        try:
            return call()
        except AssistantError as exc:
            self.notify(f"{exc.message}\n{exc.hint}", title="Error", severity="error")
            return None

    # -- switching the model ---------------------------------------------------

    def action_switch_model(self) -> None:
        """Pick another model (catalog, models dir, the embedded one) from the palette."""
        if self.busy or self.switching or not self.assistant.loaded:
            self.notify("Wait for the reply or the loading to finish.", severity="warning")
            return
        choices = self._guarded(lambda: model_choices(self.env.paths))
        if choices is not None:
            current = self.assistant.settings.model
            self.push_screen(ModelPicker(choices, current), self._model_chosen)

    def _model_chosen(self, choice: ModelChoice | None) -> None:
        if choice is None or choice.spec == self.assistant.settings.model:
            return
        self.switching = True
        self.status.show(f"Loading {choice.label}…")
        self._switch_model(choice.spec)

    @work(thread=True, exclusive=True, group="load")
    def _switch_model(self, model: str) -> None:
        try:
            backend = self.assistant.switch_model(
                model, self.loader_for(model), self._report_progress
            )
        except AssistantError as exc:
            self.post_message(ModelSwitchFailed(exc.message, exc.hint))
            return
        except Exception as exc:
            log.exception("switching the model failed")
            self.post_message(ModelSwitchFailed(f"loading failed: {exc}", "see the log file"))
            return
        self.post_message(ModelSwitched(backend.name))

    def on_model_switched(self, event: ModelSwitched) -> None:
        from assistant.weights.adapters import status_label

        self.switching = False
        backend = self.assistant.backend
        self.status.adapter = status_label(backend)
        self.status.show(f"{backend.name} · context {backend.context_length} · ready")
        for welcome in self.chat.query(Welcome):
            welcome.switched(self.assistant.settings, backend.name)
        self.notify(f"{event.name} answers from now on; the conversation goes on.")

    def on_model_switch_failed(self, event: ModelSwitchFailed) -> None:
        self.switching = False
        backend = self.assistant.backend
        self.status.show(f"{backend.name} · context {backend.context_length} · ready")
        self.notify(
            f"{event.message_text}\n{event.hint}\n{backend.name} still answers.",
            title="Cannot switch the model",
            severity="error",
            timeout=30,
        )

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Switch model",
            "Load another model (catalog, models dir); the conversation goes on",
            self.action_switch_model,
        )
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            action = binding.action
            yield SystemCommand(
                binding.description,
                f"{binding.description} ({binding.key})",
                lambda action=action: self.run_action(action),
            )
        for fmt, name in (("md", "Markdown"), ("json", "JSON")):
            yield SystemCommand(
                f"Export conversation as {name}",
                f"Write this conversation to a {name} file in the exports folder",
                lambda fmt=fmt: self.export_conversation(fmt),
            )

    def export_conversation(self, fmt: str) -> None:
        """Write the open conversation to the data dir's exports folder; say where."""
        from assistant.core.errors import InputError
        from assistant.core.formats.transcript import file_name, render
        from assistant.system.paths import ensure_private_dir
        from assistant.weights.dataset_export import exports_dir
        from assistant.weights.ledger import save_transcript

        conversation_id = self.conversation_id
        if conversation_id is None:
            self.notify("There is no stored conversation to export yet.")
            return

        def export() -> str:
            conversation = self.assistant.conversation(conversation_id)
            text = render(conversation, self.assistant.messages(conversation_id), fmt)
            folder = exports_dir(self.env.paths.data)
            try:
                ensure_private_dir(folder)
            except OSError as exc:
                raise InputError(f"cannot create {folder}: {exc}", "check the data dir") from None
            path = folder / file_name(conversation, fmt)
            save_transcript(self.env.paths, path, text)
            return str(path)

        path = self._guarded(export)
        if path is not None:
            self.notify(path, title="Conversation exported", markup=False)

    async def action_quit(self) -> None:
        self.assistant.stop()
        self.exit()


def make_app(
    env: Environment, backend: ChatBackend | None = None, embedder: Embedder | None = None
) -> AssistantApp:
    """The one app factory, for the CLI and for tests (which pass a scripted backend)."""
    return AssistantApp(env, build_assistant(env, backend, embedder))


def run_tui(env: Environment) -> int:
    """Run the TUI until the user quits."""
    make_app(env).run()
    return 0
