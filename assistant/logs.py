"""The log file in the data dir: where tracebacks go, so the user never sees one."""

import logging
import os
from collections.abc import Callable

from assistant.paths import Paths, ensure_private_dir

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(paths: Paths, level: int = logging.INFO) -> None:
    """Send the app's log records to `assistant.log` (0600) in the data dir, once."""
    root = logging.getLogger("assistant")
    if any(getattr(h, "_assistant", False) for h in root.handlers):
        return
    ensure_private_dir(paths.data)
    fd = os.open(paths.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    handler = logging.StreamHandler(os.fdopen(fd, "a", encoding="utf-8"))
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler._assistant = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False


NOTICES = "assistant.notices"


class _Forward(logging.Handler):
    def __init__(self, show: Callable[[str], None]) -> None:
        super().__init__(logging.WARNING)
        self._show = show

    def emit(self, record: logging.LogRecord) -> None:
        self._show(record.getMessage())


def forward_notices(show: Callable[[str], None]) -> None:
    """Show the user warnings logged to NOTICES (a damaged store repaired on open).

    The core cannot know whether a terminal or a TUI is listening; it logs, and each
    shell forwards these records to where its user looks.
    """
    notices = logging.getLogger(NOTICES)
    for handler in [h for h in notices.handlers if isinstance(h, _Forward)]:
        notices.removeHandler(handler)  # one listener: the shell that runs now
    notices.addHandler(_Forward(show))
