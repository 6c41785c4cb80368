"""The log file: private, rotated, bounded, whatever the app writes to it."""

import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.system import logs
from assistant.system.paths import resolve_paths


@pytest.fixture
def fresh_app_logger() -> Iterator[logging.Logger]:
    """The app's logger with no handler yet (as in a new process), restored after."""
    app = logging.getLogger("assistant")
    saved = app.handlers[:]
    app.handlers = [h for h in saved if not getattr(h, "_assistant", False)]
    yield app
    for handler in app.handlers:
        if getattr(handler, "_assistant", False):
            handler.close()
    app.handlers = saved


def test_the_log_rotates_and_keeps_a_bounded_number_of_private_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_app_logger: logging.Logger
) -> None:
    monkeypatch.setattr(logs, "LOG_BYTES", 4096)
    paths = resolve_paths(str(tmp_path))
    logs.setup_logging(paths)
    line = "x" * 200
    for i in range(500):  # about 100 kB: 25 times the rotation size
        logging.getLogger("assistant.test").info("%d %s", i, line)

    files = logs.log_files(paths)
    assert [p.name for p in files] == [
        "assistant.log",
        "assistant.log.1",
        "assistant.log.2",
        "assistant.log.3",
    ]
    assert all(p.stat().st_size <= 4096 + 300 for p in files)
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
    assert "499 " in paths.log_file.read_text()  # the newest record is in the live file


def test_notices_reach_the_one_listening_shell(fresh_app_logger: logging.Logger) -> None:
    first: list[str] = []
    second: list[str] = []
    logs.forward_notices(first.append)
    logs.forward_notices(second.append)  # a new app replaces the old listener
    logging.getLogger(logs.NOTICES).warning("the store was repaired")
    logging.getLogger(logs.NOTICES).info("not for the user")
    assert (first, second) == ([], ["the store was repaired"])


def test_a_closed_listener_neither_fails_the_logger_nor_hears_more(
    fresh_app_logger: logging.Logger,
) -> None:
    """A TUI that closed while its process goes on (tests, an embedding shell): a notice
    logged by store code must not raise out of that code."""
    heard: list[str] = []

    def closed(text: str) -> None:
        heard.append(text)
        raise RuntimeError("App is not running")

    stop = logs.forward_notices(closed)
    logging.getLogger(logs.NOTICES).warning("repaired while closing")  # does not raise
    assert heard == ["repaired while closing"]
    stop()
    logging.getLogger(logs.NOTICES).warning("repaired after")
    assert heard == ["repaired while closing"]
