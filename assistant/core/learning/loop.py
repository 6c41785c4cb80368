"""The learning loop: what to feed into a turn, and what to learn after it.

Before a turn: embed the user's text once, recall memories and messages from other
conversations, and pack them into the prompt (preferences in the stable system block,
the rest just before the newest message). After a turn, off the critical path: index
both messages for episodic recall (the reply without what it copied from its own
prompt, and not at all when it is degenerate: see echo.py), extract memories from the
user's own words only, and store them through the memory book.
"""

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from assistant.core.learning.context_block import pack
from assistant.core.learning.disclosures import Extractor
from assistant.core.learning.echo import injected_texts, recallable
from assistant.core.learning.extract import extract_rules, slot
from assistant.core.learning.llm_extract import ExtractionStats, parse_proposals
from assistant.core.learning.memory import MemoryBook
from assistant.core.learning.recall import (
    MIN_MEMORY_SIMILARITY,
    MIN_MESSAGE_SIMILARITY,
    Hit,
    Recaller,
    relevant,
)
from assistant.core.learning.verdicts import turned_down
from assistant.core.ports.embedder import Embedder
from assistant.core.ports.store import MemoryStore
from assistant.core.records import Memory, Message, source_fingerprint, utc_now

# Turns a user message into the model's raw JSON proposals.
LLMExtractor = Callable[[str], str]
# The user's indexed documents: (query vector, query text, k) -> fused hits.
DocumentSearch = Callable[[Sequence[float], str, int], list[Hit]]
# The messages the user took back: a regenerated reply, an edited-away turn.
Withdrawn = Callable[[], set[str]]
MEMORY_HITS = 6
MESSAGE_HITS = 3
DOCUMENT_HITS = 3
MIN_DOCUMENT_SIMILARITY = 0.30
# Facts about who the user is matter to almost any request ("what should I cook?"
# needs the diet), change rarely, and so belong in the stable block with preferences.
PROFILE_KEYS = ("diet", "name", "location", "occupation", "age", "origin")
PROFILE_KEY_PREFIXES = ("allergy:", "eat:", "instr:")
STANDING_MAX = 40
RESTATED_WORDS = 64
FEEDBACK_KINDS = ("correction", "rule")
MIN_CORRECTION_SIMILARITY = 0.5
CORRECTION_SPREAD = 0.1
MAX_CORRECTIONS = 2


def is_standing(memory: Memory) -> bool:
    """Whether a memory goes in the stable system block rather than per-turn recall."""
    if memory.kind in ("preference", "rule"):
        return True
    return memory.key in PROFILE_KEYS or memory.key.startswith(PROFILE_KEY_PREFIXES)


@dataclass(frozen=True)
class RecallContext:
    """What was injected into one turn's prompt."""

    preferences: tuple[Memory, ...] = ()
    memories: tuple[Hit, ...] = ()
    messages: tuple[Hit, ...] = ()
    block: str = ""
    documents: tuple[Hit, ...] = ()
    vector: list[float] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, list[dict[str, object]]]:
        return {
            "preferences": [{"id": m.id, "kind": m.kind, "text": m.text} for m in self.preferences],
            "memories": [
                {"id": h.id, "kind": h.memory_kind, "text": h.text, "score": round(h.score, 5)}
                for h in self.memories
            ],
            "messages": [
                {
                    "id": h.id,
                    "conversation_id": h.conversation_id,
                    "text": h.text,
                    "score": round(h.score, 5),
                }
                for h in self.messages
            ],
            "documents": [
                {
                    "id": h.id,
                    "citation": h.citation,
                    "path": h.path,
                    "heading": h.heading,
                    "text": h.text,
                    "score": round(h.score, 5),
                }
                for h in self.documents
            ],
        }


def focused_corrections(hits: list[Hit]) -> list[Hit]:
    """Keep only the corrections that answer *this* question.

    A correction is embedded by its question, so the right one scores high; neighbours
    ("freezing point" for a "boiling point" question) and keyword-only matches would
    add tokens and confuse a small model. Measured by bench_corrections: the right
    correction scored 0.62-0.84 cosine, the best wrong one 0.62.
    """
    corrections = [h for h in hits if h.memory_kind == "correction"]
    if not corrections:
        return hits
    best = max(h.similarity for h in corrections)
    keep = {
        h.id
        for h in sorted(corrections, key=lambda h: -h.similarity)[:MAX_CORRECTIONS]
        if h.similarity >= MIN_CORRECTION_SIMILARITY and h.similarity >= best - CORRECTION_SPREAD
    }
    return [h for h in hits if h.memory_kind != "correction" or h.id in keep]


def index_text(message: Message) -> str:
    """The text a message is indexed under: speaker and date help recall."""
    who = message.speaker or ("User" if message.role == "user" else "Assistant")
    return f"{who} ({message.created_at.date().isoformat()}): {message.content}"


class LearningLoop:
    """Recall before a turn, learning after it, over one memory store and embedder."""

    def __init__(
        self,
        store: MemoryStore,
        embedder: Embedder,
        llm: LLMExtractor | None = None,
        documents: DocumentSearch | None = None,
        withdrawn: Withdrawn = set,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.llm = llm
        self.documents = documents
        self.llm_stats = ExtractionStats()
        self.book = MemoryBook(store, embedder)
        self.extractor = Extractor(embedder)
        self.recaller = Recaller(store)
        self._preferences: list[Memory] | None = None
        self._distilled: set[str] = set()
        self._load_withdrawn = withdrawn
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recall")
        # Read off the turn's path (about 10 ms): now, while the model loads, and again
        # as soon as a verdict changes; a turn waits only if it comes before the read ends.
        self._turned_away: Future[set[str]] = self._pool.submit(self._read_turned_away)

    def preferences(self) -> list[Memory]:
        """Standing memories (preferences, rules, profile facts), cached until one changes."""
        with self._lock:
            if self._preferences is None:
                standing = [m for m in self.book.active() if is_standing(m)]
                self._preferences = standing[-STANDING_MAX:]
                self._distilled = self.store.source_message_ids()
            return list(self._preferences)

    def invalidate(self) -> None:
        """Forget cached preferences (after any memory change)."""
        with self._lock:
            self._preferences = None

    def verdicts_changed(self) -> None:
        """Reread which replies the user turned away (after a regenerate, an edit or a
        thumbs up or down)."""
        with self._lock:
            self._turned_away = self._pool.submit(self._read_turned_away)

    def turned_away(self) -> set[str]:
        """Messages never to recall: replies regenerated, turns edited away, replies whose
        last vote is down. Fed back as "[earlier conversation]", such a reply would pass
        a wrong answer off as something known."""
        with self._lock:
            pending = self._turned_away
        return pending.result()

    def _read_turned_away(self) -> set[str]:
        votes = [*self.store.signals("up"), *self.store.signals("down")]
        votes.sort(key=lambda s: s.at)
        return self._load_withdrawn() | turned_down(votes)

    def context_for(
        self,
        text: str,
        conversation_id: str | None,
        budget_tokens: int,
        count_tokens: Callable[[str], int],
        *,
        vector: list[float] | None = None,
        feedback: bool = True,
    ) -> RecallContext:
        """Recall for one user message and pack what is relevant into a block.

        With `feedback` off (learning level `memory`), corrections and rules are left out.
        """
        if vector is None:
            vector = self.embedder.embed([text])[0]
        learned_from_feedback = () if feedback else FEEDBACK_KINDS
        preferences = [m for m in self.preferences() if m.kind not in learned_from_feedback]
        shown = {m.id for m in preferences}
        # Memory and message searches are independent and mostly outside the GIL
        # (NumPy, LanceDB's Rust core): run them side by side.
        memory_search = self._pool.submit(self.recaller.memories, vector, text, MEMORY_HITS)
        message_hits = self.recaller.messages(
            vector, text, MESSAGE_HITS, conversation_id, self.turned_away()
        )
        # A memory the message itself restates ("I have two cats" when "The user has two
        # cats" is known) tells the model nothing the message does not.
        restated = {slot(c.text, RESTATED_WORDS) for c in extract_rules(text)}
        memories = [
            h
            for h in relevant(memory_search.result(), MIN_MEMORY_SIMILARITY)
            if h.id not in shown
            and h.memory_kind not in learned_from_feedback
            and slot(h.text, RESTATED_WORDS) not in restated
        ]
        memories = focused_corrections(memories)
        # A message already distilled into memories is represented by them (and may be
        # stale: "I live in Lisbon" after "I moved to Berlin").
        messages = [
            h for h in relevant(message_hits, MIN_MESSAGE_SIMILARITY) if h.id not in self._distilled
        ]
        documents = (
            relevant(self.documents(vector, text, DOCUMENT_HITS), MIN_DOCUMENT_SIMILARITY)
            if self.documents is not None
            else []
        )
        block, used = pack([*memories, *messages, *documents], budget_tokens, count_tokens)
        return RecallContext(
            tuple(preferences),
            tuple(h for h in used if h.kind == "memory"),
            tuple(h for h in used if h.kind == "message"),
            block,
            vector=vector,
            documents=tuple(h for h in used if h.kind == "document"),
        )

    def learn(
        self, user: Message | None, reply: Message | None, context: RecallContext
    ) -> list[Memory]:
        """Index the turn and store what the user's own words teach (`user` is None for
        a regenerated reply, which is indexed alone)."""
        turn = [user] if user is not None and user.content else []
        if reply is not None:
            said = recallable(reply.content, injected_texts(reply.context))
            if said:
                turn.append(replace(reply, content=said))
        if turn:
            texts = [index_text(m) for m in turn]
            self.store.index_messages(turn, texts, self.embedder.embed(texts))
        used = [h.id for h in context.memories] + [m.id for m in context.preferences]
        self.store.touch_memories(used, utc_now())
        if user is None or user.origin != "chat" or user.role != "user":
            return []
        candidates = self.extractor.extract(user.content, user.created_at)
        if self.llm is not None:
            taken = {c.key for c in candidates}
            self.llm_stats.calls += 1
            proposals = parse_proposals(self.llm(user.content), user.content, self.llm_stats)
            candidates += [c for c in proposals if c.key not in taken]
        learned = self.book.learn(candidates, (user.id,))
        if learned:
            self.invalidate()
        return learned

    def index_imported(self, messages: Sequence[Message], batch: int = 64) -> None:
        """Make imported messages searchable (they teach no memories)."""
        for start in range(0, len(messages), batch):
            chunk = messages[start : start + batch]
            texts = [index_text(m) for m in chunk]
            self.store.index_messages(chunk, texts, self.embedder.embed(texts))

    def learn_imported(
        self, messages: Sequence[Message], progress: Callable[[str], None] = lambda _: None
    ) -> list[Memory]:
        """Bootstrap memories from the user's own imported turns (`import --learn`).

        Only the user's turns are read, never the assistant's. A turn some memory already
        cites is skipped, so importing the same history again learns nothing new; so is a
        turn whose memory the user deleted, which a re-import must not bring back.
        """
        done = self.store.source_message_ids()
        forgotten = self.store.forgotten_sources()
        turns = [m for m in messages if m.role == "user" and m.status == "active"]
        learned: list[Memory] = []
        for count, message in enumerate(turns, 1):
            if message.id not in done and source_fingerprint(message.id) not in forgotten:
                candidates = self.extractor.extract(message.content, message.created_at)
                learned.extend(self.book.learn(candidates, (message.id,)))
            if count % 20 == 0 or count == len(turns):
                progress(f"Learning from your messages {count}/{len(turns)}")
        if learned:
            self.invalidate()
        return learned

    def recall(self, query: str, k: int, exclude_conversation: str | None = None) -> list[Hit]:
        vector = self.embedder.embed([query])[0]
        hits = self.recaller.search(vector, query, k, exclude_conversation, self.turned_away())
        if self.documents is not None:
            hits += self.documents(vector, query, k)
        return sorted(hits, key=lambda h: h.score, reverse=True)[:k]
