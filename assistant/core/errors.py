"""The one small error hierarchy: the core raises these, the CLI and TUI translate them.

Every error carries a message (what went wrong) and a hint (what the user can do), so
neither shell ever needs to show a traceback.
"""


class AssistantError(Exception):
    """Base of every error the user may see."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\nhint: {self.hint}" if self.hint else self.message


class ConfigError(AssistantError):
    """The config file or an ASSISTANT_* variable is unreadable or invalid."""


class ModelError(AssistantError):
    """The GGUF model is missing, not a GGUF, truncated or cannot be loaded."""


class StoreError(AssistantError):
    """The on-disk store cannot be opened, read or written."""


class InputError(AssistantError):
    """What the user sent cannot be used as it is (empty, binary, too long)."""


class NotFoundError(AssistantError):
    """A conversation or message id does not exist."""
