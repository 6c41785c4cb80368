"""Turns: send, regenerate and edit a message, stream the reply, then the work after
it (learning, the periodic export). Recall runs in a small pool beside the store reads."""

import logging
from collections.abc import Generator, Iterator
from concurrent.futures import Future
from dataclasses import replace

from assistant.core.base import clean_input
from assistant.core.errors import InputError, NotFoundError
from assistant.core.events import (
    CorrectionOffer,
    ReasoningDelta,
    ReplyDelta,
    ReplyEnded,
    ReplyRestarted,
    TurnEvent,
    TurnFinished,
    TurnStarted,
)
from assistant.core.feedback import Feedback
from assistant.core.learning.context_block import NOTE_HEADERS
from assistant.core.learning.corrections import detect_correction
from assistant.core.learning.loop import RecallContext
from assistant.core.ports.chat import ChatMessage, GenerationParams
from assistant.core.prompt_plan import plan_prompt
from assistant.core.reasoning import Part, ReasoningSplitter
from assistant.core.records import (
    FEEDBACK_LEVELS,
    Conversation,
    LearningLevel,
    Memory,
    Message,
    new_id,
    title_from,
    utc_now,
)
from assistant.core.reply_context import ReplyContext
from assistant.core.reply_shape import ReplyShape, sentence_limit
from assistant.core.reply_units import UnitsInReply, UnitSystem, convert, unit_system

log = logging.getLogger(__name__)
RECALL_BUDGET_MAX = 512
# A reply that only recited its instructions is asked again at least this warm: greedy
# decoding would take the same path twice.
RETRY_TEMPERATURE = 0.7


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


def _in_units(text: str, converter: UnitsInReply | None) -> str:
    return converter.feed(text) if converter is not None and text else text


def _last_user_text(prompt: list[ChatMessage]) -> str:
    return next((m.content for m in reversed(prompt) if m.role == "user"), "")


def reasoning_of(message: Message) -> str:
    """The thinking a reasoning model showed before this reply ("" for none)."""
    return ReplyContext.reasoning(message.context)


class Turns(Feedback):
    """A turn end to end, and what happens after it."""

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
        self._verdicts_changed()
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
        self._verdicts_changed()
        for reply in history[last_user + 1 :]:
            self._signal(self.level(), "reformulation", reply, text=content)
        try:
            yield from self.send(content, conversation_id)
        except InputError:
            self.store.set_message_status(edited, "active")
            self._verdicts_changed()
            raise

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

        def preferences() -> tuple[Memory, ...]:
            return () if level == "off" else tuple(self.learning_loop().preferences())

        system = self._prompts.system_for(conversation, preferences)
        plan_prompt(system, [ChatMessage("user", content)], self._count, self._prompt_budget())

    def _plan(
        self, conversation: Conversation, history: list[Message], context: RecallContext
    ) -> list[ChatMessage]:
        return self._prompts.plan(
            conversation, history, context, self._count, self._prompt_budget()
        )

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
        thoughts: list[str] = []
        asked = user.content if user is not None else _last_user_text(prompt)
        preferences = [m.text for m in context.preferences]
        limit = sentence_limit(preferences, asked)
        units = unit_system(preferences)
        scaffold = (conversation.system_prompt, *NOTE_HEADERS)
        params = self.params()
        shape = ReplyShape(limit, scaffold, may_retry=True)
        shown = yield from self._generate(prompt, params, shape, thoughts, units)
        retried = shape.recited_from_start and not self._stop.is_set()
        if retried:
            # The whole reply recited the instructions (a small model's "I'm Maya, a
            # helpful, concise personal assistant…"): ask once more, sampled, so it
            # need not take the same path; whatever that gives is kept.
            log.info("the reply recited its instructions from the start; asking again")
            thoughts.clear()
            params = replace(
                params,
                temperature=max(params.temperature, RETRY_TEMPERATURE),
                seed=params.seed + 1 if params.seed >= 0 else params.seed,
            )
            shape = ReplyShape(limit, scaffold)
            first = backend.last_usage()
            if shown:
                yield ReplyRestarted()  # the words the first try showed are withdrawn
            yield from self._generate(prompt, params, shape, thoughts, units)
            # The user waited for both tries: time to the first kept token includes the first.
            second = backend.last_usage()
            usage = replace(
                second, ttft_s=first.seconds + second.ttft_s, seconds=first.seconds + second.seconds
            )
        else:
            usage = backend.last_usage()
        if shape.done and not self._stop.is_set():
            usage = replace(usage, stopped=False)  # the core ended it, not the user
        content, converted = convert(shape.text, units) if units else (shape.text, 0)
        reasoning = "".join(thoughts).strip()
        record = _context_record(context, prompt, learning, self.settings.max_tokens, reasoning)
        reply = Message(
            new_id(),
            conversation.id,
            "assistant",
            content,
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
            finished,
            user,
            reply,
            usage,
            context,
            not persist,
            learning=learning,
            offer=offer,
            ended_by=shape.why,
            retried=retried,
            converted_units=converted,
        )

    def _generate(
        self,
        prompt: list[ChatMessage],
        params: GenerationParams,
        shape: ReplyShape,
        thoughts: list[str],
        units: UnitSystem | None,
    ) -> Generator[TurnEvent, None, bool]:
        """Stream one try of the reply through `shape`, and then through the user's
        units; returns whether any reply text went out. A try that recited its
        instructions from the start shows nothing more and keeps back what it held."""
        splitter = ReasoningSplitter()
        converter = UnitsInReply(units) if units else None
        ended = lambda: self._stop.is_set() or shape.done  # noqa: E731

        def parts() -> Iterator[Part]:
            for piece in self.backend.stream(prompt, params, ended):
                yield from splitter.feed(piece)
            yield from splitter.close()

        shown = False
        for part in parts():
            if part.kind == "reasoning":
                thoughts.append(part.text)
                yield ReasoningDelta(part.text)
            elif text := _in_units(shape.feed(part.text), converter):
                shown = True
                yield ReplyDelta(text)
        held = "" if shape.recited_from_start else shape.finish()
        if converter is not None:
            held = converter.feed(held) + converter.finish()
        if held:
            shown = True
            yield ReplyDelta(held)
        return shown

    def learn(self, turn: TurnFinished) -> list[Memory]:
        """Learn from a finished turn (run it off the critical path: it embeds and writes)."""
        if turn.learning == "off" or turn.incognito:
            return []
        # A regenerated reply has no new user message: the reply alone is indexed.
        return self.learning_loop().learn(turn.user_message, turn.reply, turn.context)
