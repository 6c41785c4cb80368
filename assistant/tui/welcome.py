"""What an empty chat shows until the first message: the model, what was learned, keys.

A newcomer used to see a blank chat area. The welcome says which model answers (and
whether it is the small embedded one, so weak answers are no surprise), what the
assistant has learned so far as counts and where to review it, and the main keys.
The counts come from the store, read in a worker after loading: the first paint
stays free of the database.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from textual.widgets import Static

from assistant.compose import uses_embedded_model
from assistant.core.records import MEMORY_KINDS, Memory
from assistant.core.settings import Settings

KEYS = (
    ("enter", "send"),
    ("shift+enter", "new line"),
    ("up", "earlier messages"),
    ("ctrl+o", "conversations"),
    ("ctrl+n", "new chat"),
    ("f3", "reasoning"),
    ("ctrl+g", "copy code"),
    ("f8", "incognito"),
    ("ctrl+p", "every command"),
)
KEYS_PER_ROW = 3  # rows fit an 80-column terminal


@dataclass(frozen=True)
class Learned:
    """What the store holds: active memories by kind, and the conversations."""

    memories: dict[str, int]
    conversations: int

    @staticmethod
    def count(memories: Sequence[Memory], conversations: int) -> "Learned":
        kinds = Counter(m.kind for m in memories if m.status == "active")
        return Learned({k: kinds.get(k, 0) for k in MEMORY_KINDS}, conversations)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def welcome_text(
    model: str, embedded: bool, learned: Learned | None, learning: str, loading: bool = False
) -> str:
    """The welcome's text (plain, never markup)."""
    state = " (loading…)" if loading else ""
    about = " · the small embedded model: quick, but limited" if embedded else ""
    lines = [
        "Welcome. Ask anything: the assistant learns from what you tell it.",
        "",
        f"Model     {model}{state}{about}",
    ]
    if embedded:
        lines.append("          a bigger GGUF answers better: see “Your own GGUF” in the README")
    if learning == "off":
        lines.append("Learned   nothing: learning is off (the `learning` setting)")
    elif learned is None:
        lines.append("Learned   counting…")
    else:
        kinds = ", ".join(_plural(n, k) for k, n in learned.memories.items())
        lines.append(f"Learned   {kinds}")
        lines.append(f"          from {_plural(learned.conversations, 'conversation')}")
    lines.append("          review and change it: f4 memory browser · f9 learning report")
    lines.append("")
    pairs = [f"{key} {action}" for key, action in KEYS]
    for row in range(0, len(pairs), KEYS_PER_ROW):
        lead = "Keys      " if row == 0 else " " * 10
        lines.append(lead + " · ".join(pairs[row : row + KEYS_PER_ROW]))
    return "\n".join(lines)


class Welcome(Static):
    """The empty chat's greeting; the app removes it when the first message is sent."""

    def __init__(self, settings: Settings, model: str | None) -> None:
        super().__init__("", markup=False)
        self._settings = settings
        self._embedded = uses_embedded_model(settings)
        self._model = model
        self._learned: Learned | None = None
        self._render_text()

    def loaded(self, model: str) -> None:
        """The model is ready: name it as the backend does."""
        self._model = model
        self._render_text()

    def switched(self, settings: Settings, model: str) -> None:
        """Another model was picked: name it, and say whether it is the embedded one."""
        self._settings = settings
        self._embedded = uses_embedded_model(settings)
        self.loaded(model)

    def counted(self, learned: Learned) -> None:
        self._learned = learned
        self._render_text()

    def _render_text(self) -> None:
        named = self._model or self._settings.model or "the embedded default"
        self.update(
            welcome_text(
                named,
                self._embedded,
                self._learned,
                self._settings.learning,
                loading=self._model is None,
            )
        )
