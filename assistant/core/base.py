"""The Assistant's state and the parts every job shares: settings, the store, the model
and the embedder (loaded lazily, once), the learning loop, the prompt state, the
conversations, and clean_input, the one check of user text.

The jobs are mixins over this base (turns.py, feedback.py, memories.py, portability.py,
insight.py); assistant/core/service.py puts them together as `Assistant`."""

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from functools import lru_cache

from assistant.core.documents.index import DocumentIndex
from assistant.core.errors import InputError, ModelError
from assistant.core.learning.llm_extract import SCHEMA, extraction_messages
from assistant.core.learning.loop import LearningLoop
from assistant.core.ports.chat import ChatBackend, ChatMessage, GenerationParams
from assistant.core.ports.copies import Copies
from assistant.core.ports.documents import DocumentStore
from assistant.core.ports.embedder import Embedder
from assistant.core.ports.store import MemoryStore, Store
from assistant.core.prompt_state import PromptState
from assistant.core.records import (
    Conversation,
    LearningLevel,
    MemoryStatus,
    Message,
    utc_now,
)
from assistant.core.settings import Settings

log = logging.getLogger(__name__)
# Loaded lazily so that building an Assistant (and painting the TUI) costs nothing.
BackendLoader = Callable[[Callable[[str], None]], ChatBackend]
EmbedderLoader = Callable[[], Embedder]
MAX_INPUT_CHARS = 2_000_000
LLM_EXTRACTION_TOKENS = 160
ALL_MEMORY_STATUSES: tuple[MemoryStatus, ...] = (
    "active",
    "superseded",
    "proposed",
    "discarded",
)


def clean_input(text: str) -> str:
    """Validate user text: not empty, not binary, not absurdly long."""
    if "\x00" in text:
        raise InputError("the input looks like binary data (it contains NUL bytes)", "send text")
    if len(text) > MAX_INPUT_CHARS:
        raise InputError(
            f"the input is {len(text):,} characters; the limit is {MAX_INPUT_CHARS:,}",
            "send a shorter text",
        )
    stripped = text.strip()
    if not stripped:
        raise InputError("nothing to send: the message is empty", "type a message")
    return stripped


class AssistantBase:
    """Chat turns over one backend and one store: the state the jobs share."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        memory_store: MemoryStore,
        load_backend: BackendLoader,
        load_embedder: EmbedderLoader,
        *,
        document_store: DocumentStore | None = None,
        copies: Copies | None = None,
    ) -> None:
        self.settings = settings
        self.copies = copies
        self.store = store
        self.memory_store = memory_store
        self._documents = (
            DocumentIndex(document_store, self._embed, erased=self._documents_erased)
            if document_store is not None
            else None
        )
        self._loop: LearningLoop | None = None
        self._load_backend = load_backend
        self._load_embedder = load_embedder
        self._backend: ChatBackend | None = None
        self._embedder: Embedder | None = None
        self._count: Callable[[str], int] = len
        self._load_lock = threading.RLock()
        self._stop = threading.Event()
        self.last_prompt: list[ChatMessage] = []
        self._prompts = PromptState()
        # Recall (embedding the query, searching) runs here while `send` reads the
        # conversation from the store: the two overlap instead of adding up.
        self._recall_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="turn-recall")
        # The query vector of a draft, embedded ahead of `send` (see `prefetch`).
        self._draft: tuple[str, Future[list[float]]] | None = None

    def load(
        self, progress: Callable[[str], None] = lambda _: None, embedder: bool = False
    ) -> ChatBackend:
        """Load the model (and, if asked, the embedder) once; `progress` gets status lines."""
        with self._load_lock:
            if self._backend is None:
                backend = self._load_backend(progress)
                self._count = lru_cache(maxsize=4096)(backend.count_tokens)
                self._backend = backend
            if embedder:
                self.learning_loop()
            return self._backend

    def switch_model(
        self, model: str, load: BackendLoader, progress: Callable[[str], None] = lambda _: None
    ) -> ChatBackend:
        """Answer with another model from now on; conversations go on with it.

        The new model loads before the old one closes, so a failed load leaves the
        old one answering. `model` is the new `model` setting (for what the shells show).
        """
        with self._load_lock:
            backend = load(progress)
            old = self._backend
            self._count = lru_cache(maxsize=4096)(backend.count_tokens)
            self._backend = backend
            self.settings = replace(self.settings, model=model)
            self._prompts.model_changed()
            close = getattr(old, "close", None)
            if old is not None and old is not backend and callable(close):
                close()
            return backend

    @property
    def learning_on(self) -> bool:
        return self.settings.learning != "off"

    def learning_loop(self, progress: Callable[[str], None] = lambda _: None) -> LearningLoop:
        """The learning loop, loading the embedder on first use (a fraction of a second on
        ONNX Runtime, seconds when it must fall back to sentence-transformers and torch)."""
        with self._load_lock:
            if self._loop is None:
                progress("Loading the embedder…")
                self._embedder = self._load_embedder()
                llm = self._llm_extractor if self.settings.llm_extraction else None
                search = self._documents.search if self._documents is not None else None
                self._loop = LearningLoop(
                    self.memory_store,
                    self._embedder,
                    llm,
                    search,
                    withdrawn=self.store.inactive_message_ids,
                )
            return self._loop

    def _embed(self, texts: Sequence[str]) -> list[list[float]]:
        return self.learning_loop().embedder.embed(texts)

    def documents(self) -> DocumentIndex:
        """The user's indexed documents (`assistant docs`); embeds with the same embedder."""
        if self._documents is None:
            raise InputError(
                "this assistant was built without a document store",
                "build it with assistant.compose.build_assistant",
            )
        return self._documents

    @property
    def embedder(self) -> Embedder | None:
        """The sentence embedder, once loaded (None before, or with learning off)."""
        return self._embedder

    @property
    def backend(self) -> ChatBackend:
        if self._backend is None:
            raise ModelError("the model is not loaded yet", "wait for loading to finish")
        return self._backend

    @property
    def loaded(self) -> bool:
        return self._backend is not None

    def params(self) -> GenerationParams:
        s = self.settings
        return GenerationParams(s.max_tokens, s.temperature, s.top_p, s.seed, s.repeat_penalty)

    def conversations(self, query: str = "") -> list[Conversation]:
        """Conversations newest first, optionally filtered by a search text."""
        return self.store.list_conversations(query)

    def conversation(self, conversation_id: str) -> Conversation:
        return self.store.get_conversation(conversation_id)

    def messages(self, conversation_id: str) -> list[Message]:
        """The active messages of a conversation, in order."""
        return self.store.list_messages(conversation_id)

    def set_system_prompt(self, conversation_id: str, text: str) -> Conversation:
        """Change a conversation's system prompt (applies from its next turn)."""
        conversation = replace(
            self.store.get_conversation(conversation_id), system_prompt=text, updated_at=utc_now()
        )
        self.store.save_conversation(conversation)
        return conversation

    def level(self, override: LearningLevel | None = None) -> LearningLevel:
        """The learning level for a turn: the chat's own, else the configured one."""
        configured: LearningLevel = self.settings.learning  # type: ignore[assignment]
        return override or configured

    def _erase(self, memory_ids: Sequence[str], conversation_ids: Sequence[str]) -> None:
        self.store.forget(memory_ids, conversation_ids)
        self._memories_changed()

    def _documents_erased(self) -> None:
        # Removed files' text left the stored replies and contexts: reread them, and
        # build the next prompts afresh rather than from notes that quoted the files.
        self.store.drop_cache()
        self._prompts.documents_erased()

    def _verdicts_changed(self) -> None:
        """A reply was regenerated, a turn edited away, or a reply voted on."""
        if self._loop is not None:
            self._loop.verdicts_changed()

    def _memories_changed(self) -> None:
        if self._loop is not None:
            self._loop.invalidate()
        self._prompts.memories_changed()

    def _llm_extractor(self, text: str) -> str:
        return self.backend.generate_json(extraction_messages(text), SCHEMA, LLM_EXTRACTION_TOKENS)
