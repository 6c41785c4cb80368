"""A scripted chat backend for fast UI and unit tests, registered like a real one.

Replies are queued with `enqueue`; with nothing queued it echoes the last user message.
It streams word by word and honours `should_stop` exactly as the real backend does.
"""

import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence

from assistant.core.ports.chat import ChatMessage, GenerationParams, StopCheck, Usage


class ScriptedBackend:
    """A ChatBackend whose replies are written by the test."""

    def __init__(self, context_length: int = 4096, delay_s: float = 0.0) -> None:
        self._context_length = context_length
        self._replies: deque[str] = deque()
        self._usage = Usage()
        self.delay_s = delay_s
        self.prompts: list[list[ChatMessage]] = []
        self.params: list[GenerationParams] = []
        # Lets a test hold a reply mid-stream (to exercise stop) without sleeping.
        self.gate: threading.Event | None = None

    @property
    def name(self) -> str:
        return "scripted"

    @property
    def context_length(self) -> int:
        return self._context_length

    def enqueue(self, *replies: str) -> None:
        """Queue replies, used in order by the next streams."""
        self._replies.extend(replies)

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def stream(
        self, messages: Sequence[ChatMessage], params: GenerationParams, should_stop: StopCheck
    ) -> Iterator[str]:
        self.prompts.append(list(messages))
        self.params.append(params)
        last_user = next((m.content for m in reversed(messages) if m.role == "user"), "")
        last_user = last_user.split("</recalled>\n\n", 1)[-1]  # echo the user, not the notes
        reply = self._replies.popleft() if self._replies else f"echo: {last_user}"
        words = reply.split(" ")
        emitted, stopped = 0, False
        for index, word in enumerate(words[: params.max_tokens]):
            if should_stop():
                stopped = True
                break
            if self.gate is not None and index == 1:
                self.gate.wait(timeout=10)
            if self.delay_s:
                time.sleep(self.delay_s)
            emitted += 1
            yield word if index == 0 else " " + word
        prompt_tokens = sum(self.count_tokens(m.content) for m in messages)
        self._usage = Usage(
            prompt_tokens=prompt_tokens,
            completion_tokens=emitted,
            # Synthetic timings (10 ms a word) keep status lines and snapshots repeatable.
            ttft_s=0.01,
            seconds=0.01 * emitted,
            stopped=stopped,
        )

    def last_usage(self) -> Usage:
        return self._usage

    def generate_json(
        self, messages: Sequence[ChatMessage], schema: dict[str, object], max_tokens: int
    ) -> str:
        """The next queued reply, as is (tests queue JSON for extraction)."""
        self.prompts.append(list(messages))
        return self._replies.popleft() if self._replies else '{"memories": []}'
