"""The log file in the data dir: where tracebacks go, so the user never sees one."""

import logging
import os

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
