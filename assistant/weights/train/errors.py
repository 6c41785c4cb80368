"""The errors training can raise: each says what went wrong and what the user can do."""

from assistant.core.errors import AssistantError


class TrainError(AssistantError):
    """Training cannot start or cannot finish."""


class TrainExtraMissing(TrainError):
    """The optional `[train]` extra (torch, transformers, peft, gguf) is not installed."""


class UnsupportedModelError(TrainError):
    """The base GGUF's architecture cannot be trained and exported as an adapter."""


class TokenizerMismatchError(TrainError):
    """transformers and llama.cpp tokenize an example differently."""


class TrainingStopped(TrainError):
    """The user stopped training; nothing was written or enabled."""
