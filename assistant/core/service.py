"""The Assistant service: the one entry point the TUI, the CLI and the tests use.

It owns a turn end to end: record the user's message, fit the conversation into the
context window, stream the reply from the backend, record the reply. It is plain
synchronous Python; shells run it in their own threads. Nothing here imports Textual,
llama.cpp or LanceDB.
"""

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from assistant.core.documents.index import DocumentIndex
from assistant.core.errors import AssistantError, InputError, ModelError, NotFoundError
from assistant.core.formats.history import read_history
from assistant.core.formats.memory_file import MemoryImport, read_memory_file, write_memory_file
from assistant.core.learning.context_block import (
    joined,
    standing_updates,
    system_with_preferences,
    with_retrieved,
)
from assistant.core.learning.corrections import detect_correction
from assistant.core.learning.dataset import Collected, collect, without_duplicates
from assistant.core.learning.echo import injected_texts, recallable
from assistant.core.learning.llm_extract import SCHEMA, extraction_messages
from assistant.core.learning.loop import LearningLoop, RecallContext
from assistant.core.learning.recall import Hit
from assistant.core.learning.report import (
    NEGATIVE_KINDS,
    Followup,
    degenerate_replies,
    report,
    topics,
)
from assistant.core.learning.rules import proposals
from assistant.core.ports.chat import ChatBackend, ChatMessage, GenerationParams, Usage
from assistant.core.ports.copies import AfterTurn, Copies, Erased, ExportResult, Leftovers
from assistant.core.ports.documents import DocumentStore
from assistant.core.ports.embedder import Embedder
from assistant.core.ports.store import MemoryStore, Store
from assistant.core.prompt_plan import PromptPlan, plan_prompt
from assistant.core.reasoning import ReasoningSplitter
from assistant.core.records import (
    FEEDBACK_LEVELS,
    Conversation,
    LearningLevel,
    Memory,
    MemoryEvent,
    MemoryKind,
    MemorySnapshot,
    MemoryStatus,
    Message,
    Signal,
    SignalKind,
    new_id,
    title_from,
    utc_now,
)
from assistant.core.reply_context import ReplyContext
from assistant.core.settings import Settings

log = logging.getLogger(__name__)
# Loaded lazily so that building an Assistant (and painting the TUI) costs nothing.
BackendLoader = Callable[[Callable[[str], None]], ChatBackend]
EmbedderLoader = Callable[[], Embedder]
MAX_INPUT_CHARS = 2_000_000
RECALL_BUDGET_MAX = 512
LLM_EXTRACTION_TOKENS = 160
ALL_MEMORY_STATUSES: tuple[MemoryStatus, ...] = (
    "active",
    "superseded",
    "proposed",
    "discarded",
)
# A later question this close to a corrected one asks the same thing (report only).
FOLLOWUP_SIMILARITY = 0.75
FOLLOWUP_CANDIDATES = 20


@dataclass(frozen=True)
class CorrectionOffer:
    """The user's message looks like a correction of the last reply: offered, not assumed."""

    reply_id: str
    question: str
    wrong: str
    right: str

    def as_dict(self) -> dict[str, str]:
        return {
            "reply_id": self.reply_id,
            "question": self.question,
            "wrong": self.wrong,
            "right": self.right,
        }


@dataclass(frozen=True)
class FeedbackResult:
    """What one signal did: the signal, and any memories it created or changed."""

    signal: Signal
    changed: tuple[Memory, ...] = ()
    proposed: tuple[Memory, ...] = ()


@dataclass(frozen=True)
class TurnStarted:
    """The user's message is stored; the reply is about to stream."""

    conversation: Conversation
    user_message: Message | None
    context: RecallContext = field(default_factory=RecallContext)


@dataclass(frozen=True)
class ReplyDelta:
    """A piece of the reply text."""

    text: str


@dataclass(frozen=True)
class ReasoningDelta:
    """A piece of a reasoning model's thinking (`<think>…</think>`): shown apart,
    never part of the reply's text (assistant/core/reasoning.py)."""

    text: str


@dataclass(frozen=True)
class ReplyEnded:
    """The reply has streamed whole (or was stopped), as it will be stored.

    It comes before the reply is stored, so a shell can show the final text at once:
    storing takes two LanceDB writes (25-35 ms here) that the user need not wait for.
    `reasoning` is the model's thinking, kept apart from `text`.
    """

    text: str
    reasoning: str = ""


@dataclass(frozen=True)
class TurnFinished:
    """The reply is complete (or stopped) and stored."""

    conversation: Conversation
    user_message: Message | None
    reply: Message
    usage: Usage
    context: RecallContext = field(default_factory=RecallContext)
    incognito: bool = False
    learning: LearningLevel = "memory"
    offer: CorrectionOffer | None = None


TurnEvent = TurnStarted | ReplyDelta | ReasoningDelta | ReplyEnded | TurnFinished


@dataclass(frozen=True)
class ImportSummary:
    """What an import added; `skipped` counts unusable and already-imported messages."""

    conversations: int
    messages: int
    skipped: int
    learned: int = 0


@dataclass(frozen=True)
class _Standing:
    """A conversation's system block, kept byte-identical while the conversation runs.

    Standing memories that change mid-conversation reach it as update notes in the
    newest turn instead: rebuilding the system block would make llama.cpp evaluate the
    whole conversation again (seconds on a CPU), on the turn after every preference.
    """

    source: str
    system: str
    delivered: tuple[Memory, ...]

    @staticmethod
    def build(system_prompt: str, standing: tuple[Memory, ...]) -> "_Standing":
        return _Standing(system_prompt, system_with_preferences(system_prompt, standing), standing)


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


def _context_record(
    context: RecallContext,
    prompt: list[ChatMessage],
    learning: LearningLevel,
    max_tokens: int,
    reasoning: str = "",
) -> str:
    """What a reply was given, kept with it (assistant/core/reply_context.py): feedback
    records it; a dataset export trains on exactly this, so training matches inference."""
    system = prompt[0].content if prompt and prompt[0].role == "system" else ""
    asked = prompt[-1].content if prompt and prompt[-1].role == "user" else ""
    return ReplyContext.write(
        context.as_dict(), system, asked, learning, max_tokens, reasoning=reasoning
    )


def reasoning_of(message: Message) -> str:
    """The thinking a reasoning model showed before this reply ("" for none)."""
    return ReplyContext.reasoning(message.context)


class Assistant:
    """Chat turns over one backend and one store."""

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
        self._window_start: dict[str, int] = {}
        self.last_prompt: list[ChatMessage] = []
        self._sent_blocks: dict[str, str] = {}
        self._standing: dict[str, _Standing] = {}
        # Recall (embedding the query, searching) runs here while `send` reads the
        # conversation from the store: the two overlap instead of adding up.
        self._recall_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="turn-recall")
        # The query vector of a draft, embedded ahead of `send` (see `prefetch`).
        self._draft: tuple[str, Future[list[float]]] | None = None

    # -- model -------------------------------------------------------------

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
            # Token counts and the context length changed: each window is planned afresh.
            self._window_start.clear()
            close = getattr(old, "close", None)
            if old is not None and old is not backend and callable(close):
                close()
            return backend

    @property
    def learning_on(self) -> bool:
        return self.settings.learning != "off"

    def learning_loop(self, progress: Callable[[str], None] = lambda _: None) -> LearningLoop:
        """The learning loop, loading the embedder on first use (seconds: imports torch)."""
        with self._load_lock:
            if self._loop is None:
                progress("Loading the embedder…")
                self._embedder = self._load_embedder()
                llm = self._llm_extractor if self.settings.llm_extraction else None
                search = self._documents.search if self._documents is not None else None
                self._loop = LearningLoop(self.memory_store, self._embedder, llm, search)
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
        return GenerationParams(s.max_tokens, s.temperature, s.top_p, s.seed)

    # -- conversations -----------------------------------------------------

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

    # -- turns -------------------------------------------------------------

    def stop(self) -> None:
        """Ask the reply in progress to stop; it ends within one token."""
        self._stop.set()

    def send(
        self,
        text: str,
        conversation_id: str | None = None,
        system_prompt: str | None = None,
        incognito: bool = False,
        learning: LearningLevel | None = None,
    ) -> Iterator[TurnEvent]:
        """Send a user message and stream the reply.

        With no `conversation_id` a new conversation starts, using `system_prompt` or the
        configured default. Validation happens before anything is stored, so a rejected
        message changes nothing. An incognito turn neither uses nor stores anything.
        """
        content = clean_input(text)
        if incognito and conversation_id is not None:
            raise InputError(
                "an incognito chat cannot continue a stored conversation",
                "drop --conversation, or drop --incognito",
            )
        backend = self.backend
        now = utc_now()
        level = self.level(learning)
        recall: Future[RecallContext] | None = None
        if not incognito:
            recall = self._recall_pool.submit(self._recall, content, conversation_id, level)
        if conversation_id is None:
            conversation = Conversation(
                id=new_id(),
                title=title_from(content),
                system_prompt=self.settings.system_prompt
                if system_prompt is None
                else system_prompt,
                created_at=now,
                updated_at=now,
            )
            history: list[Message] = []
        else:
            conversation = self.store.get_conversation(conversation_id)
            history = self.store.list_messages(conversation_id)
        user = Message(new_id(), conversation.id, "user", content, now, model=backend.name)
        self._check_fits(conversation, content, "off" if incognito else level)
        if not incognito:  # written while recall runs
            if conversation_id is None:
                # A stored conversation is saved (updated_at) when its reply is: one
                # LanceDB upsert less before the first token (12-17 ms here).
                self.store.save_conversation(conversation)
            self.store.add_messages([user])
        context = RecallContext() if recall is None else recall.result()
        plan = self._plan(conversation, [*history, user], context)
        offer = None
        if level in FEEDBACK_LEVELS and not incognito:
            offer = self._offer(history, content)
        yield from self._reply(
            conversation, user, plan, context, persist=not incognito, learning=level, offer=offer
        )

    def level(self, override: LearningLevel | None = None) -> LearningLevel:
        """The learning level for a turn: the chat's own, else the configured one."""
        configured: LearningLevel = self.settings.learning  # type: ignore[assignment]
        return override or configured

    @staticmethod
    def _offer(history: list[Message], content: str) -> CorrectionOffer | None:
        if len(history) < 2 or history[-1].role != "assistant" or history[-2].role != "user":
            return None
        right = detect_correction(content)
        if right is None:
            return None
        return CorrectionOffer(history[-1].id, history[-2].content, history[-1].content, right)

    def regenerate(self, conversation_id: str) -> Iterator[TurnEvent]:
        """Replace the last reply with a new one (the old one is kept as `replaced`)."""
        conversation = self.store.get_conversation(conversation_id)
        history = self.store.list_messages(conversation_id)
        if not history or history[-1].role != "assistant":
            raise NotFoundError("there is no reply to regenerate", "send a message first")
        old_reply, history = history[-1], history[:-1]
        level = self.level()
        context = (
            self._recall(history[-1].content, conversation_id, level)
            if history
            else RecallContext()
        )
        plan = self._plan(conversation, history, context)
        self.store.set_message_status([old_reply.id], "replaced")
        self._signal(level, "regenerate", old_reply, reason="regenerated")
        yield from self._reply(conversation, None, plan, context, learning=level)

    def edit_last(self, conversation_id: str, text: str) -> Iterator[TurnEvent]:
        """Resend the last user message with new text; the old pair is kept as `edited`."""
        content = clean_input(text)
        history = self.store.list_messages(conversation_id)
        last_user = max((i for i, m in enumerate(history) if m.role == "user"), default=None)
        if last_user is None:
            raise NotFoundError("there is no message to edit", "send a message first")
        edited = [m.id for m in history[last_user:]]
        self.store.set_message_status(edited, "edited")
        for reply in history[last_user + 1 :]:
            self._signal(self.level(), "reformulation", reply, text=content)
        try:
            yield from self.send(content, conversation_id)
        except InputError:
            self.store.set_message_status(edited, "active")
            raise

    def _llm_extractor(self, text: str) -> str:
        return self.backend.generate_json(extraction_messages(text), SCHEMA, LLM_EXTRACTION_TOKENS)

    def prefetch(self, draft: str) -> Future[list[float]] | None:
        """Embed a draft of the next message ahead of `send`, off the calling thread.

        The query embedding is most of what learning adds to a turn's time to first
        token (about 20 ms of one core here, bench_learning_ttft). The TUI calls this
        when the user pauses typing, so a message sent as drafted starts without it.
        Returns the embedding's future, or None when there is nothing to do: no text,
        learning off, or the embedder not loaded yet (this never loads it).
        """
        try:
            text = clean_input(draft)
        except InputError:
            return None
        if self._loop is None or self.level() == "off":
            return None
        if self._draft is not None and self._draft[0] == text:
            return self._draft[1]
        embedder = self._loop.embedder
        future = self._recall_pool.submit(lambda: embedder.embed([text])[0])
        self._draft = (text, future)
        return future

    @property
    def prefetched(self) -> str | None:
        """The draft whose query vector is embedded, or being embedded, if any."""
        return None if self._draft is None else self._draft[0]

    def _query_vector(self, text: str) -> list[float] | None:
        """The prefetched vector of `text`, if its draft was prefetched."""
        draft = self._draft
        if draft is None or draft[0] != text or not draft[1].done():
            return None  # none, another text, or queued behind this very recall
        self._draft = None
        try:
            return draft[1].result()
        except Exception:  # the turn embeds it again and reports its own error
            return None

    def _recall(
        self, text: str, conversation_id: str | None, level: LearningLevel
    ) -> RecallContext:
        if level == "off":
            return RecallContext()
        budget = min(RECALL_BUDGET_MAX, self.backend.context_length // 8)
        feedback = level in FEEDBACK_LEVELS
        return self.learning_loop().context_for(
            text,
            conversation_id,
            budget,
            self._count,
            vector=self._query_vector(text),
            feedback=feedback,
        )

    def _prompt_budget(self) -> int:
        """Tokens a prompt may use: the context window less room for the reply."""
        return self.backend.context_length - self.settings.max_tokens

    def _check_fits(self, conversation: Conversation, content: str, level: LearningLevel) -> None:
        """Raise InputError, before anything is stored, if the message cannot fit."""
        standing = self._standing.get(conversation.id)
        if standing is not None and standing.source == conversation.system_prompt:
            system = standing.system
        else:
            known = () if level == "off" else self.learning_loop().preferences()
            system = system_with_preferences(conversation.system_prompt, tuple(known))
        plan_prompt(system, [ChatMessage("user", content)], self._count, self._prompt_budget())

    def _plan(
        self, conversation: Conversation, history: list[Message], context: RecallContext
    ) -> list[ChatMessage]:
        budget = self._prompt_budget()
        window = self._window_start.get(conversation.id, 0)
        standing = self._standing.get(conversation.id)
        if standing is None or standing.source != conversation.system_prompt:
            standing = _Standing.build(conversation.system_prompt, context.preferences)
        updates = standing_updates(standing.delivered, context.preferences)
        block = joined(updates, context.block)
        try:
            plan = self._fit(history, standing.system, block, window, budget)
        except InputError:  # the message fits (checked) but not with its notes
            block = updates = ""
            plan = self._fit(history, standing.system, block, window, budget)
        if plan.start != window and standing.delivered:
            # The window moved, so the whole prompt is evaluated afresh anyway: rebuild
            # the system block from what is standing now (earlier update notes may
            # have just fallen out of the window).
            standing = _Standing.build(conversation.system_prompt, context.preferences)
            block = "" if not block else context.block
            plan = self._fit(history, standing.system, block, plan.start, budget)
        self._standing[conversation.id] = replace(standing, delivered=context.preferences)
        if history and history[-1].role == "user":
            self._sent_blocks[history[-1].id] = block
        self._window_start[conversation.id] = plan.start
        return plan.messages

    def _fit(
        self, history: list[Message], system: str, block: str, window: int, budget: int
    ) -> PromptPlan:
        # Earlier user turns are rendered exactly as they were sent (with their recalled
        # notes), so the prompt only grows at its end and llama.cpp reuses the prefix.
        turns = [
            ChatMessage(m.role, with_retrieved(self._sent_blocks.get(m.id, ""), m.content))
            for m in history
        ]
        if turns:
            turns[-1] = ChatMessage(turns[-1].role, with_retrieved(block, history[-1].content))
        return plan_prompt(system, turns, self._count, budget, window)

    def _reply(
        self,
        conversation: Conversation,
        user: Message | None,
        prompt: list[ChatMessage],
        context: RecallContext,
        *,
        persist: bool = True,
        learning: LearningLevel = "memory",
        offer: CorrectionOffer | None = None,
    ) -> Iterator[TurnEvent]:
        backend = self.backend
        self._stop.clear()
        self.last_prompt = prompt
        yield TurnStarted(conversation, user, context)
        pieces: list[str] = []
        thoughts: list[str] = []
        splitter = ReasoningSplitter()
        for piece in backend.stream(prompt, self.params(), self._stop.is_set):
            for part in splitter.feed(piece):
                yield from self._part(part.kind, part.text, pieces, thoughts)
        for part in splitter.close():
            yield from self._part(part.kind, part.text, pieces, thoughts)
        usage = backend.last_usage()
        reasoning = "".join(thoughts).strip()
        record = _context_record(context, prompt, learning, self.settings.max_tokens, reasoning)
        reply = Message(
            new_id(),
            conversation.id,
            "assistant",
            "".join(pieces).strip(),
            utc_now(),
            model=backend.name,
            usage=usage.as_dict(),
            context=record,
        )
        yield ReplyEnded(reply.content, reasoning)
        finished = replace(conversation, updated_at=reply.created_at)
        if persist:
            self.store.add_messages([reply])
            self.store.save_conversation(finished)
        yield TurnFinished(
            finished, user, reply, usage, context, not persist, learning=learning, offer=offer
        )

    @staticmethod
    def _part(kind: str, text: str, pieces: list[str], thoughts: list[str]) -> Iterator[TurnEvent]:
        """One split piece of the stream: reply text, or thinking kept apart."""
        if kind == "reasoning":
            thoughts.append(text)
            yield ReasoningDelta(text)
        else:
            pieces.append(text)
            yield ReplyDelta(text)

    # -- learning ------------------------------------------------------------

    def learn(self, turn: TurnFinished) -> list[Memory]:
        """Learn from a finished turn (run it off the critical path: it embeds and writes)."""
        if turn.learning == "off" or turn.user_message is None or turn.incognito:
            return []
        return self.learning_loop().learn(turn.user_message, turn.reply, turn.context)

    def after_turn(self, turn: TurnFinished) -> AfterTurn:
        """The work after a turn, for every shell: learn from it, then (at level full)
        the periodic dataset export when one is due. Learning errors are raised; a
        failed export is logged, since the chat itself succeeded."""
        learned = self.learn(turn)
        return AfterTurn(learned, self.export_if_due() if turn.learning == "full" else None)

    def export_if_due(self) -> ExportResult | None:
        """The periodic dataset export (configured level full), when one is due; a
        failure is logged, not raised: the export can wait for the next turn."""
        if self.copies is None:
            return None
        try:
            return self.copies.export_if_due(self)
        except AssistantError as exc:
            log.warning("periodic export failed: %s", exc.message)
            return None

    def recall(self, query: str, k: int = 10) -> list[Hit]:
        """Ranked memories, messages and document chunks for a query."""
        text = clean_input(query)
        return self.learning_loop().recall(text, k)

    def memories(
        self, statuses: tuple[MemoryStatus, ...] = ("active",), kind: MemoryKind | None = None
    ) -> list[Memory]:
        """Remembered items, oldest first."""
        return self.memory_store.list_memories(statuses, kind)

    def remember(self, text: str, kind: MemoryKind = "fact") -> Memory:
        """Store a memory the user typed in directly."""
        loop = self.learning_loop()
        memory = loop.book.add_manual(clean_input(text), kind)
        loop.invalidate()
        return memory

    def forget_memory(self, memory_id: str) -> Memory:
        """Delete one memory for real (see `forget_memories`)."""
        memory = self.memory_store.get_memory(memory_id)
        self.forget_memories([memory_id])
        return memory

    def forget_memories(self, memory_ids: Sequence[str]) -> list[MemorySnapshot]:
        """Delete memories for real: rows, events, signals, quotes, old versions on disk.

        Returns what was deleted, embedding and history included, so that a review
        screen can undo while it is open (`undo_forget` writes it back).
        """
        known = {m.id for m in self.memories(ALL_MEMORY_STATUSES)}
        # Ids already gone (deleted elsewhere meanwhile) are skipped, not an error.
        snapshots = self.snapshots([i for i in memory_ids if i in known])
        self._erase([s.memory.id for s in snapshots], ())
        return snapshots

    def erase_memories(self, memory_ids: Sequence[str]) -> Erased:
        """`forget_memories`, with the user's copies that still hold the memories."""
        snapshots = self.forget_memories(memory_ids)
        memories = tuple(s.memory for s in snapshots)
        sources = [i for m in memories for i in m.source_ids]
        return Erased(memories, self.still_holding(memories, (), sources), tuple(snapshots))

    def undo_forget(self, snapshots: Sequence[MemorySnapshot]) -> None:
        """Write deleted memories back exactly as they were (the review screen's undo)."""
        self.memory_store.write_snapshots(snapshots)
        self._memories_changed()

    def snapshots(self, memory_ids: Sequence[str]) -> list[MemorySnapshot]:
        """Memories with their stored embeddings and histories (unknown ids raise)."""
        memories = [self.memory_store.get_memory(i) for i in dict.fromkeys(memory_ids)]
        vectors = self.memory_store.memory_vectors([m.id for m in memories])
        return [
            MemorySnapshot(m, tuple(vectors[m.id]), tuple(self.memory_store.events(m.id)))
            for m in memories
        ]

    def learned_from(self, conversation_id: str) -> list[Memory]:
        """Memories (in any status) with a source message in this conversation."""
        ids = {m.id for m in self.store.list_messages(conversation_id, include_inactive=True)}
        return [m for m in self.memories(ALL_MEMORY_STATUSES) if ids.intersection(m.source_ids)]

    def delete_conversation(
        self, conversation_id: str, with_memories: bool = False
    ) -> list[Memory]:
        """Delete a conversation for real, and with `with_memories` what was learned from
        it; returns the memories deleted."""
        self.store.get_conversation(conversation_id)
        learned = self.learned_from(conversation_id) if with_memories else []
        self._erase([m.id for m in learned], [conversation_id])
        self._window_start.pop(conversation_id, None)
        return learned

    def erase_conversation(self, conversation_id: str, with_memories: bool = False) -> Erased:
        """`delete_conversation`, with the user's copies that still hold its text."""
        messages = self.store.list_messages(conversation_id, include_inactive=True)
        forgotten = tuple(self.delete_conversation(conversation_id, with_memories))
        held = self.still_holding(forgotten, messages, [m.id for m in messages])
        return Erased(forgotten, held)

    def still_holding(
        self, memories: Sequence[Memory], messages: Sequence[Message], message_ids: Sequence[str]
    ) -> Leftovers:
        """The exports that hold these memories' or messages' text, and the adapters
        trained on `message_ids`: the user's copies a delete cannot reach."""
        if self.copies is None:
            return Leftovers()
        texts = [m.text for m in memories] + [m.content for m in messages]
        return self.copies.holding(texts, message_ids)

    def every_copy(self) -> Leftovers:
        """Every export and adapter the user has (what `forget --all` leaves behind)."""
        return Leftovers() if self.copies is None else self.copies.everything()

    def remove_exports(self, exports: Sequence[Path]) -> list[Path]:
        """Delete exports the user wrote (they asked to); returns what was removed."""
        return [] if self.copies is None else self.copies.remove_exports(exports)

    def forget_everything(self) -> None:
        """Erase every conversation, memory, event and signal from disk."""
        self.store.forget_everything()
        self._window_start.clear()
        self._memories_changed()

    def _erase(self, memory_ids: Sequence[str], conversation_ids: Sequence[str]) -> None:
        self.store.forget(memory_ids, conversation_ids)
        self._memories_changed()

    def _documents_erased(self) -> None:
        # Removed files' text left the stored replies and contexts: reread them, and
        # build the next prompts afresh rather than from notes that quoted the files.
        self.store.drop_cache()
        self._sent_blocks.clear()

    def _memories_changed(self) -> None:
        if self._loop is not None:
            self._loop.invalidate()
        # Prompts built from a changed memory are rebuilt: the next turn starts afresh.
        self._standing.clear()
        self._sent_blocks.clear()

    def edit_memory(self, memory_id: str, text: str) -> Memory:
        """Reword a memory (it keeps its id, slot, history and provenance)."""
        memory = self.learning_loop().book.edit(memory_id, clean_input(text))
        self._memories_changed()
        return memory

    def memory_history(self, memory_id: str) -> list[MemoryEvent]:
        """A memory's events, oldest first: added, reinforced, superseded, edited…"""
        return self.memory_store.events(memory_id)

    def memory_sources(self, memory: Memory) -> list[Message]:
        """The stored messages a memory came from (deleted ones are simply missing)."""
        found = []
        for message_id in memory.source_ids:
            try:
                found.append(self.store.get_message(message_id))
            except NotFoundError:
                continue
        return found

    def search_memories(
        self,
        query: str,
        semantic: bool = False,
        statuses: tuple[MemoryStatus, ...] = ALL_MEMORY_STATUSES,
        k: int = 50,
    ) -> list[Memory]:
        """Memories matching `query`: by words (BM25), or by meaning (loads the embedder)."""
        text = " ".join(query.split())
        if not text:
            return self.memories(statuses)
        if semantic:
            vector = self.learning_loop().embedder.embed([text])[0]
            hits = self.memory_store.nearest_memories(vector, k, statuses)
        else:
            hits = self.memory_store.keyword_memories(text, k, statuses)
            needle = text.casefold()
            seen = {h.item.id for h in hits}
            # BM25 needs whole words; a substring ("lock" in "locker") still matches.
            extra = [
                m
                for m in self.memories(statuses)
                if m.id not in seen and needle in m.text.casefold()
            ]
            return [h.item for h in hits] + extra
        return [h.item for h in hits]

    def export_memories(self, path: Path) -> int:
        """Write every memory with its provenance to `path` as JSON; returns the count."""
        snapshots = self.snapshots([m.id for m in self.memories(ALL_MEMORY_STATUSES)])
        sources = {s.id: s for snap in snapshots for s in self.memory_sources(snap.memory)}
        write_memory_file(path, snapshots, sources)
        if self.copies is not None:  # a later delete names this copy
            self.copies.record_export(path)
        return len(snapshots)

    def import_memories(self, path: Path) -> MemoryImport:
        """Read a memory export back; memories already present are left as they are."""
        snapshots = read_memory_file(path)
        for snapshot in snapshots:
            if len(snapshot.vector) != self.memory_store.embedding_dim:
                raise InputError(
                    f"memory {snapshot.memory.id} has a {len(snapshot.vector)}-dim embedding,"
                    f" this store keeps {self.memory_store.embedding_dim}",
                    "export it again from this version of the app",
                )
        present = {m.id for m in self.memories(ALL_MEMORY_STATUSES)}
        fresh = [s for s in snapshots if s.memory.id not in present]
        self.undo_forget(fresh)
        return MemoryImport(added=len(fresh), present=len(snapshots) - len(fresh))

    def import_history(
        self, path: Path, progress: Callable[[str], None] = lambda _: None, learn: bool = False
    ) -> ImportSummary:
        """Import chat history; idempotent.

        Recall only, unless `learn`: then the user's own turns (never the assistant's)
        also teach memories, as if they had been said in a chat.
        """
        if learn and not self.learning_on:
            raise InputError(
                "learning is off, so --learn has nothing to do",
                "set learning to memory or above (ASSISTANT_LEARNING=memory)",
            )
        batch = read_history(path, lambda done, total: progress(f"Reading {done}/{total}"))
        known = self.store.existing_message_ids([m.id for m in batch.messages])
        fresh = [m for m in batch.messages if m.id not in known]
        touched = {m.conversation_id for m in fresh}
        # Messages first, then their conversations, then the search index: a process
        # killed part-way leaves no listed conversation without its messages, and a
        # second run finishes what the first started.
        self.store.add_messages(fresh)
        listed = {c.id for c in self.store.list_conversations()}
        self.store.save_conversations(
            [c for c in batch.conversations if c.id in touched or c.id not in listed]
        )
        loop = self.learning_loop(progress)
        indexed = self.memory_store.indexed_message_ids()
        active = [m for m in batch.messages if m.status == "active" and m.id not in indexed]
        for start in range(0, len(active), 256):
            loop.index_imported(active[start : start + 256])
            progress(f"Indexing {min(start + 256, len(active))}/{len(active)} messages")
        learned = loop.learn_imported(batch.messages, progress) if learn else []
        return ImportSummary(
            len(touched),
            len(fresh),
            batch.skipped + len(batch.messages) - len(fresh),
            sum(m.status == "active" for m in learned),
        )

    # -- feedback --------------------------------------------------------------

    def _signal(
        self,
        level: LearningLevel,
        kind: SignalKind,
        reply: Message,
        *,
        reason: str = "",
        text: str = "",
        memory_id: str = "",
    ) -> Signal | None:
        """Record a signal on a reply (nothing below learning level `feedback`)."""
        if level not in FEEDBACK_LEVELS:
            return None
        question = self._question_for(reply)
        signal = Signal(
            new_id(),
            kind,
            reply.id,
            reply.conversation_id,
            utc_now(),
            question.id if question else "",
            reason,
            text,
            ReplyContext.without_reasoning(reply.context),
            memory_id,
        )
        self.memory_store.record_signal(signal)
        return signal

    def _question_for(self, reply: Message) -> Message | None:
        """The user message a reply answered."""
        before = [
            m
            for m in self.store.list_messages(reply.conversation_id, include_inactive=True)
            if m.role == "user" and m.created_at <= reply.created_at
        ]
        return before[-1] if before else None

    def _reply_message(self, message_id: str) -> Message:
        message = self.store.get_message(message_id)
        if message.role != "assistant":
            raise InputError(
                f"message {message_id} is the user's, not a reply",
                "give the id of an assistant message (`assistant conversations show ID`)",
            )
        return message

    def _require_feedback(self) -> LearningLevel:
        level = self.level()
        if level not in FEEDBACK_LEVELS:
            raise InputError(
                f"feedback is not recorded at learning level `{level}`",
                'set `learning = "feedback"` in config, or ASSISTANT_LEARNING=feedback',
            )
        return level

    def feedback(self, message_id: str, verdict: SignalKind, reason: str = "") -> FeedbackResult:
        """Thumbs up or down on a reply; repeated downs with one cause propose a rule."""
        if verdict not in ("up", "down"):
            raise InputError(f"feedback is `up` or `down`, not `{verdict}`")
        level = self._require_feedback()
        signal = self._signal(
            level, verdict, self._reply_message(message_id), reason=reason.strip()
        )
        assert signal is not None
        proposed = self._propose_rules(level) if verdict == "down" else []
        return FeedbackResult(signal, proposed=tuple(proposed))

    def _propose_rules(self, level: LearningLevel) -> list[Memory]:
        loop = self.learning_loop()
        rules = self.memory_store.list_memories(ALL_MEMORY_STATUSES, "rule")
        made = [
            loop.book.propose_rule(cause.rule, cause.key, replies, active=level == "full")
            for cause, replies in proposals(self.memory_store.signals("down"), rules)
        ]
        if made:
            loop.invalidate()
        return made

    def correct(self, message_id: str, text: str) -> FeedbackResult:
        """Record that the right answer to the reply's question is `text`."""
        level = self._require_feedback()
        reply = self._reply_message(message_id)
        question = self._question_for(reply)
        if question is None:
            raise NotFoundError(f"no question found before reply {message_id}")
        loop = self.learning_loop()
        # What the reply copied from its own prompt is not its answer (echo.py).
        wrong = recallable(reply.content, injected_texts(reply.context)) or "…"
        changed = loop.book.add_correction(
            question.content, wrong, clean_input(text), (question.id, reply.id)
        )
        loop.invalidate()
        signal = self._signal(level, "correction", reply, text=text, memory_id=changed[0].id)
        assert signal is not None
        return FeedbackResult(signal, tuple(changed))

    def accept_offer(self, offer: CorrectionOffer) -> FeedbackResult:
        """The user confirmed that their message was a correction of the last reply."""
        return self.correct(offer.reply_id, offer.right)

    def keep_rule(self, memory_id: str, text: str | None = None) -> Memory:
        """Apply a proposed rule (optionally reworded) from the next conversation on."""
        loop = self.learning_loop()
        kept = loop.book.keep_rule(memory_id, text)
        loop.invalidate()
        return kept

    def discard_rule(self, memory_id: str) -> Memory:
        loop = self.learning_loop()
        discarded = loop.book.discard_rule(memory_id)
        loop.invalidate()
        return discarded

    def dataset_examples(self, dedupe: bool = True) -> Collected:
        """Every training example that counts today (assistant/core/learning/dataset.py)."""

        def stored(message_id: str) -> Message | None:
            try:
                return self.store.get_message(message_id)
            except NotFoundError:
                return None

        found = collect(self.memory_store.signals(), stored)
        if dedupe and found.examples:
            embed = self.learning_loop().embedder.embed
            found.examples = without_duplicates(found.examples, embed, found)
        return found

    def learning_report(self) -> dict[str, object]:
        """Counts over time, the repeat-mistake rate, failing topics, and rules."""
        loop = self.learning_loop()
        memories = self.memory_store.list_memories(ALL_MEMORY_STATUSES)
        signals = self.memory_store.signals()
        asked: dict[str, str] = {}
        for signal in signals:
            if signal.question_id and signal.question_id not in asked:
                try:
                    asked[signal.question_id] = self.store.get_message(signal.question_id).content
                except NotFoundError:  # its conversation was deleted
                    continue
        negatives = [
            asked[s.question_id]
            for s in signals
            if s.kind in NEGATIVE_KINDS and s.question_id in asked
        ]
        vectors = loop.embedder.embed(negatives) if negatives else []
        active = {m.id for m in memories if m.status == "active"}
        corrections = [
            s
            for s in signals
            if s.kind == "correction" and s.memory_id in active and s.question_id in asked
        ]
        followups = self._followups(corrections, asked, loop)
        degenerate = degenerate_replies(self.store.model_replies())
        return report(
            self.level(),
            memories,
            signals,
            followups,
            topics(negatives, vectors),
            degenerate=degenerate,
        )

    def _followups(
        self, corrections: list[Signal], asked: dict[str, str], loop: LearningLoop
    ) -> list[Followup]:
        """Later questions close in meaning to a corrected one, with the replies they got."""
        if not corrections:
            return []
        found: list[Followup] = []
        vectors = loop.embedder.embed([asked[c.question_id] for c in corrections])
        for correction, vector in zip(corrections, vectors, strict=True):
            for hit in self.memory_store.nearest_messages(vector, FOLLOWUP_CANDIDATES):
                later = hit.item
                if (
                    later.role != "user"
                    or hit.score < FOLLOWUP_SIMILARITY
                    or later.id == correction.question_id
                    or later.created_at <= correction.at
                ):
                    continue
                history = self.store.list_messages(later.conversation_id)
                after = [m for m in history if m.created_at > later.created_at]
                if after and after[0].role == "assistant":
                    found.append(Followup(correction, after[0].content))
        return found

    def restore_memory(self, memory_id: str) -> Memory:
        """Make a superseded memory active again."""
        loop = self.learning_loop()
        memory = loop.book.restore(memory_id)
        loop.invalidate()
        return memory
