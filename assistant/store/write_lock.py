"""The store's single-writer rule, across threads and across processes.

LanceDB merges concurrent appends on its own, but not a read-then-rewrite: a purge
reads a table's live rows and overwrites the table with them, so an append another
process commits in between would be lost. Migrations and the schema-version row are
read-then-write too. So every write takes this lock: a re-entrant thread lock plus an
advisory `flock` on a file beside the store directory (so a store this app must not
touch, a newer one, stays byte for byte as it was), held for the outermost `with`.
Two TUIs, or a TUI and a CLI, then take turns at writing; reads never wait.
"""

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from assistant.core.errors import StoreError

WAIT_S = 60.0
log = logging.getLogger(__name__)


class StoreLock:
    """Hold it (`with lock:`) around every write; re-entrant within a thread.

    `on_acquire` runs each time this process takes the file lock, so the store can
    catch up with what other processes committed before it reads-then-writes.
    """

    def __init__(self, directory: Path, on_acquire: Callable[[], None] = lambda: None) -> None:
        self.path = directory.with_name(f".{directory.name}.lock")
        self._on_acquire = on_acquire
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    def __enter__(self) -> "StoreLock":
        self._thread_lock.acquire()
        try:
            if self._depth == 0:
                self._fd = _lock_file(self.path)
                self._on_acquire()
        except BaseException:
            self._release_file()
            self._thread_lock.release()
            raise
        self._depth += 1
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._release_file()
        self._thread_lock.release()

    def _release_file(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


def _lock_file(path: Path) -> int | None:
    """Open and flock `path`, waiting (with backoff) up to WAIT_S for another process."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StoreError(
            f"cannot write to the store at {path.parent}: {exc.strerror or exc}",
            "check that the data dir is writable and the disk is not full (`assistant paths`)",
        ) from None
    if sys.platform == "win32":  # no flock: LanceDB's own conflict handling is all there is
        return fd
    import fcntl

    start = time.monotonic()
    deadline = start + WAIT_S
    pause = 0.005
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if pause > 0.005:  # it waited for another process (bench_shared_store reads this)
                log.info(
                    "waited %.1f ms for the store's write lock", (time.monotonic() - start) * 1000
                )
            return fd
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                raise StoreError(
                    f"another assistant process has held the store's write lock for "
                    f"{WAIT_S:.0f} s ({path})",
                    "close the other window or command, or wait until it finishes",
                ) from None
            time.sleep(pause)  # waiting for another process: there is no event to wait on
            pause = min(pause * 2, 0.1)
