"""The log file in the data dir: where tracebacks go, so the user never sees one."""

import logging
import logging.handlers
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.system.paths import Paths, ensure_private_dir

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


LOG_BYTES = 2_000_000
LOG_BACKUPS = 3


class _PrivateRotatingHandler(logging.handlers.RotatingFileHandler):
    """Rotates at LOG_BYTES, keeping LOG_BACKUPS old files; every file is created 0600."""

    def _open(self) -> Any:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return os.fdopen(fd, "a", encoding="utf-8")


def setup_logging(paths: Paths, level: int = logging.INFO) -> None:
    """Send the app's log records to `assistant.log` (0600, rotated) in the data dir, once.

    The log must never grow without bound on a machine used every day: at 2 MB it
    rotates, and `assistant.log.1` … `.3` are all that is kept (8 MB at most).
    """
    root = logging.getLogger("assistant")
    if any(getattr(h, "_assistant", False) for h in root.handlers):
        return
    ensure_private_dir(paths.data)
    handler = _PrivateRotatingHandler(
        paths.log_file, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler._assistant = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False


def log_files(paths: Paths) -> list[Path]:
    """The log and its rotated copies that exist."""
    names = [paths.log_file, *(Path(f"{paths.log_file}.{n}") for n in range(1, LOG_BACKUPS + 1))]
    return [p for p in names if p.exists()]


NOTICES = "assistant.notices"


class _Forward(logging.Handler):
    def __init__(self, show: Callable[[str], None]) -> None:
        super().__init__(logging.WARNING)
        self._show = show

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._show(record.getMessage())
        except Exception:  # a closed screen must not fail the store code that logged
            self.handleError(record)


def forward_notices(show: Callable[[str], None]) -> Callable[[], None]:
    """Show the user warnings logged to NOTICES (a damaged store repaired on open).

    The core cannot know whether a terminal or a TUI is listening; it logs, and each
    shell forwards these records to where its user looks. Returns the call that stops
    forwarding, for a shell that closes before its process ends (the TUI).
    """
    notices = logging.getLogger(NOTICES)
    for handler in [h for h in notices.handlers if isinstance(h, _Forward)]:
        notices.removeHandler(handler)  # one listener: the shell that runs now
    forward = _Forward(show)
    notices.addHandler(forward)
    return lambda: notices.removeHandler(forward)
