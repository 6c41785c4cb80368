"""The Textual app: paints at once, loads the model in a worker, streams replies.

Widgets call only Assistant methods. The app is built in layers, each a class of its
own module: feedback on replies (thumbs, corrections, rules, the report: feedback.py),
turns streamed into the chat (turns.py), conversations, the system prompt and the
model (conversations.py), and here the layout, loading, the theme and the palette.
The memory browser is a screen of its own that runs its core calls itself; it hands
back a conversation to open, if the user jumps to where a memory came from.
"""

import json
import logging
import threading
from collections.abc import Callable, Iterable

from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Vertical
from textual.reactive import var
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer

from assistant.compose import (
    Environment,
    build_assistant,
    loader_for_model,
)
from assistant.core.errors import AssistantError
from assistant.core.ports.chat import ChatBackend
from assistant.core.ports.embedder import Embedder
from assistant.core.service import (
    Assistant,
    BackendLoader,
)
from assistant.system.logs import forward_notices
from assistant.tui.conversations import ConversationsApp
from assistant.tui.documents import (
    DocumentsSynced,
    sync_documents,
    sync_summary,
)
from assistant.tui.events import (
    DatasetExported,
    HistoryLoaded,
    LoadFailed,
    LoadProgressed,
    ModelReady,
)
from assistant.tui.prompt import PromptArea
from assistant.tui.text import plural
from assistant.tui.welcome import Welcome
from assistant.tui.widgets import ChatLog, ReplyBubble, StatusBar

log = logging.getLogger(__name__)
# Up in an empty prompt walks back through this many of the user's messages from the
# latest conversations (read once, after loading).
HISTORY_CONVERSATIONS = 20
HISTORY_ENTRIES = 200


class AssistantApp(ConversationsApp):
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
        self._stop_notices: Callable[[], None] = lambda: None
        self._reply: ReplyBubble | None = None
        self._reserved: ReplyBubble | None = None  # the reply keeping rows below it
        self._draft_timer: Timer | None = None
        self._last_usage_line = ""
        self.show_reasoning = False  # for the session: thinking blocks start collapsed
        self.switching = False  # a model picked from the palette is loading
        # How a model picked from the palette loads (tests put a scripted one here).
        self.loader_for: Callable[[str], BackendLoader] = lambda model: loader_for_model(env, model)
        self._restore_theme()

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
        self._stop_notices = forward_notices(self._notice)
        self.query_one("#prompt", PromptArea).focus()
        self.chat.anchor()
        self._load_model()

    def on_unmount(self) -> None:
        self._stop_notices()  # a notice logged after the app closed goes nowhere

    def _notice(self, text: str) -> None:
        """A warning from the core (a repaired store), from whichever thread logged it."""
        if threading.get_ident() == self._thread_id:
            self.notify(text, severity="warning", timeout=30)
        else:
            self.call_from_thread(self.notify, text, severity="warning", timeout=30)

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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Esc is a priority binding (it must stop a reply from anywhere), so without
        # this it would reach the app before a dialog's own Esc could close it.
        return not (action == "stop" and len(self.screen_stack) > 1)

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
