"""Training examples from verified experience: what counts, and what never does.

Counts:
- a reply the user approved (thumbs up, the latest verdict on it) -> an SFT row;
- a correction -> an SFT row with the corrected answer, and a preference pair with the
  original answer rejected;
- a regenerated reply whose replacement was approved -> a preference pair.
Each row is built from the prompt the reply was actually given (its recorded system
text, with the confirmed rules and preferences of the time, and the final user turn
with its recalled notes), so training matches inference.

Never counts: replies recorded below learning level `full`, replies with no recorded
prompt, replaced replies, refusals, truncated answers, and exact or near duplicates.
Incognito chats and deleted material are not in the store to begin with.
"""

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from assistant.core.learning.verdicts import latest_verdicts
from assistant.core.records import Message, Signal
from assistant.core.reply_context import ReplyContext

ExampleKind = Literal["approved", "correction", "regenerated"]
NEAR_DUPLICATE = 0.95
EVAL_SHARE = 10  # one conversation in ten goes to the eval split

_REFUSAL = re.compile(
    r"^\s*(i'?m sorry|sorry,|i apologi[sz]e|i can(?:no|')t (?:help|assist|do|provide)"
    r"|i am (?:unable|not able)|as an ai\b|i'?m (?:unable|not able))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Example:
    """One training example: a prompt, the answer to learn, and maybe a rejected one."""

    kind: ExampleKind
    conversation_id: str
    source_ids: tuple[str, ...]
    system: str
    user: str
    answer: str
    rejected: str = ""

    def prompt(self) -> list[dict[str, str]]:
        head = [{"role": "system", "content": self.system}] if self.system else []
        return [*head, {"role": "user", "content": self.user}]

    def sft_row(self) -> dict[str, object]:
        """OpenAI chat format (TRL, Unsloth, axolotl, mlx-lm, LLaMA-Factory read it)."""
        return {
            "messages": [*self.prompt(), {"role": "assistant", "content": self.answer}],
            "source": self.kind,
        }

    def dpo_row(self) -> dict[str, object]:
        """TRL's conversational preference format."""
        return {
            "prompt": self.prompt(),
            "chosen": [{"role": "assistant", "content": self.answer}],
            "rejected": [{"role": "assistant", "content": self.rejected}],
            "source": self.kind,
        }


@dataclass
class Collected:
    """Examples found, and how many candidates each filter dropped (for the manifest)."""

    examples: list[Example] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)

    def drop(self, reason: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1


def is_refusal(text: str) -> bool:
    return bool(_REFUSAL.match(text))


@dataclass(frozen=True)
class Recorded:
    """What a reply recorded about its prompt (see `_context_record` in core)."""

    system: str
    user: str
    level: str
    max_tokens: int


def recorded_prompt(reply: Message) -> Recorded | None:
    """The prompt a reply was given, as it recorded it, if it did."""
    record = ReplyContext.parse(reply.context)
    if record is None:
        return None
    context = record.data
    prompt = context.get("prompt")
    if not isinstance(prompt, dict) or not prompt.get("user"):
        return None
    return Recorded(
        str(prompt.get("system", "")),
        str(prompt["user"]),
        str(context.get("level", "")),
        record.max_tokens,
    )


def collect(
    signals: Sequence[Signal],
    message: Callable[[str], Message | None],
) -> Collected:
    """Turn signals into examples; `message(id)` returns a stored message or None."""
    found = Collected()
    regenerated: dict[str, list[Signal]] = {}
    for signal in signals:
        if signal.kind == "regenerate":
            regenerated.setdefault(signal.question_id, []).append(signal)
    # Oldest first: the last verdict on a reply wins.
    chosen = [s for s in latest_verdicts(signals).values() if s.kind == "up"]
    corrections = [s for s in signals if s.kind == "correction" and s.text.strip()]
    for signal in [*chosen, *corrections]:
        reply = message(signal.message_id)
        base = _base_example(reply, signal, found)
        if base is None:
            continue
        if signal.kind == "up":
            if reply is None or reply.status != "active":
                found.drop("replaced")
                continue
            found.examples.append(base)
            for earlier in regenerated.get(signal.question_id, []):
                old = message(earlier.message_id)
                if old is not None and old.content.strip() and not is_refusal(old.content):
                    found.examples.append(
                        replace(
                            base,
                            kind="regenerated",
                            rejected=old.content.strip(),
                            source_ids=(*base.source_ids, old.id),
                        )
                    )
        else:
            found.examples.append(
                replace(base, kind="correction", answer=signal.text.strip(), rejected=base.answer)
            )
    return found


def _base_example(reply: Message | None, signal: Signal, found: Collected) -> Example | None:
    if reply is None:
        found.drop("deleted")
        return None
    recorded = recorded_prompt(reply)
    if recorded is None:
        found.drop("no_recorded_prompt")
        return None
    if recorded.level != "full":
        found.drop("below_level_full")
        return None
    answer = reply.content.strip()
    if signal.kind == "up":
        if not answer or is_refusal(answer):
            found.drop("refusal_or_empty")
            return None
        usage = reply.usage
        limit = recorded.max_tokens
        if usage.get("stopped") or (limit and int(usage.get("completion_tokens", 0)) >= limit):
            found.drop("truncated")
            return None
    sources = tuple(i for i in (signal.question_id, reply.id) if i)
    return Example(
        "approved", reply.conversation_id, sources, recorded.system, recorded.user, answer
    )


def without_duplicates(
    examples: Sequence[Example],
    embed: Callable[[list[str]], list[list[float]]],
    found: Collected,
) -> list[Example]:
    """Drop exact duplicates, then near duplicates (cosine >= NEAR_DUPLICATE) of a kept
    example of the same kind; the first one stays."""
    import numpy as np

    unique: dict[tuple[str, str, str, str], Example] = {}
    for e in examples:
        key = (e.kind, " ".join(e.user.split()), " ".join(e.answer.split()), e.rejected)
        if key in unique:
            found.drop("duplicate")
        else:
            unique[key] = e
    kept_list = list(unique.values())
    if len(kept_list) < 2:
        return kept_list
    vectors = np.asarray(embed([f"{e.user}\n{e.answer}" for e in kept_list]), dtype=np.float32)
    kept: list[int] = []
    for i, e in enumerate(kept_list):
        near = [j for j in kept if kept_list[j].kind == e.kind]
        if near and float(np.max(vectors[near] @ vectors[i])) >= NEAR_DUPLICATE:
            found.drop("near_duplicate")
            continue
        kept.append(i)
    return [kept_list[i] for i in kept]


def is_eval_conversation(conversation_id: str) -> bool:
    """A fixed, content-independent split: the same conversation is always on one side."""
    digest = hashlib.sha256(conversation_id.encode()).digest()
    return digest[0] % EVAL_SHARE == 0


def split(examples: Sequence[Example]) -> set[str]:
    """The conversations held out for evaluation (at least one when there are two)."""
    conversations = sorted({e.conversation_id for e in examples})
    held = {c for c in conversations if is_eval_conversation(c)}
    if not held and len(conversations) >= 2:
        held = {min(conversations, key=lambda c: hashlib.sha256(c.encode()).hexdigest())}
    if len(held) == len(conversations) and len(conversations) >= 2:
        held.discard(max(held))
    return held
