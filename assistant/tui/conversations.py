"""The conversations half of the app: new, open, delete, export; the system prompt and
the model. A delete names the user's copies it could not reach, as the CLI does."""

import logging

from textual import on, work

from assistant.compose import (
    ModelChoice,
    model_choices,
)
from assistant.core.errors import AssistantError
from assistant.core.records import Conversation, Message
from assistant.core.service import (
    reasoning_of,
)
from assistant.tui.documents import (
    DocumentsScreen,
)
from assistant.tui.events import (
    LearnedCounted,
    LoadProgressed,
    ModelSwitched,
    ModelSwitchFailed,
)
from assistant.tui.memory_browser import MemoryBrowser
from assistant.tui.model_picker import ModelPicker
from assistant.tui.prompt import PromptArea
from assistant.tui.screens import (
    ConversationDeleted,
    ConversationPicker,
    DeleteConversationPrompt,
    SystemPromptEditor,
)
from assistant.tui.text import notify_leftovers, plural
from assistant.tui.turns import TurnsApp
from assistant.tui.welcome import Learned, Welcome
from assistant.tui.widgets import ReplyBubble, UserBubble

log = logging.getLogger(__name__)


class ConversationsApp(TurnsApp):
    """Conversations, the system prompt and the model, around the chat."""

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

    def _report_progress(self, line: str) -> None:
        self.post_message(LoadProgressed(line))
