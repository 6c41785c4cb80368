"""The ChatBackend port: the one small interface the core needs from a model.

A backend streams text for a list of chat messages, counts tokens, and reports its
context length. Everything else (history trimming, persistence, learning) lives in
the core, so a new backend is one small class.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

Role = Literal["system", "user", "assistant"]
StopCheck = Callable[[], bool]


@dataclass(frozen=True)
class ChatMessage:
    """One message as the model sees it."""

    role: Role
    content: str


@dataclass(frozen=True)
class GenerationParams:
    """Sampling knobs for one reply."""

    max_tokens: int = 512
    temperature: float = 0.7
    top_p: float = 0.95
    seed: int = -1
    # 1.0 is off (llama.cpp's own default); the app's default comes from Settings.
    repeat_penalty: float = 1.0


@dataclass(frozen=True)
class Usage:
    """What one generation cost, as the backend measured it."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_prompt_tokens: int = 0
    ttft_s: float = 0.0
    seconds: float = 0.0
    stopped: bool = False

    @property
    def evaluated_prompt_tokens(self) -> int:
        """Prompt tokens the backend had to evaluate (not reused from its prefix cache)."""
        return self.prompt_tokens - self.cached_prompt_tokens

    @property
    def tokens_per_second(self) -> float:
        gen_time = self.seconds - self.ttft_s
        if self.completion_tokens <= 1 or gen_time <= 0:
            return 0.0
        return (self.completion_tokens - 1) / gen_time

    def as_dict(self) -> dict[str, float | int | bool]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cached_prompt_tokens": self.cached_prompt_tokens,
            "evaluated_prompt_tokens": self.evaluated_prompt_tokens,
            "ttft_s": round(self.ttft_s, 4),
            "seconds": round(self.seconds, 4),
            "tokens_per_second": round(self.tokens_per_second, 2),
            "stopped": self.stopped,
        }


class ChatBackend(Protocol):
    """A chat model the assistant can stream from."""

    @property
    def name(self) -> str:
        """A short display name of the loaded model."""
        ...

    @property
    def context_length(self) -> int:
        """Tokens the loaded context window holds (prompt plus reply)."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes as message content."""
        ...

    def stream(
        self, messages: Sequence[ChatMessage], params: GenerationParams, should_stop: StopCheck
    ) -> Iterator[str]:
        """Yield reply text pieces; once `should_stop()` is true, yield no more and end
        generation within a token or two (a child process sees the stop one token late)."""
        ...

    def last_usage(self) -> Usage:
        """Usage of the most recent completed or stopped stream."""
        ...

    def generate_json(
        self, messages: Sequence[ChatMessage], schema: dict[str, object], max_tokens: int
    ) -> str:
        """A reply constrained to JSON matching `schema` (a grammar, where supported)."""
        ...
