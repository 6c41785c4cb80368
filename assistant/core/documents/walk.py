"""Finding the files under an indexed root, safely: symlink loops and unreadable
folders are reported as skips, hidden files and folders (.git) are left alone."""

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from assistant.core.documents.records import Skip


def normalize(path: str | Path) -> str:
    """An absolute path as the user sees it (symlinks kept, `~` expanded)."""
    return os.path.abspath(os.path.expanduser(str(path)))


def is_under(path: str, folder: str) -> bool:
    """Whether `path` is `folder` or inside it (plain path logic, no disk access)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def walk(root: str, excluded: set[str], skipped: list[Skip]) -> Iterator[str]:
    """Every regular file under `root` (or `root` itself), depth first, in name order."""
    try:
        info = os.stat(root)
    except OSError as exc:
        skipped.append(Skip(root, f"unreadable: {exc.strerror or exc}"))
        return
    if stat.S_ISREG(info.st_mode):
        yield root
        return
    yield from _folder(root, excluded, skipped, [(info.st_dev, info.st_ino)], set())


def _folder(
    folder: str,
    excluded: set[str],
    skipped: list[Skip],
    ancestors: list[tuple[int, int]],
    seen: set[tuple[int, int]],
) -> Iterator[str]:
    seen.add(ancestors[-1])
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError as exc:
        skipped.append(Skip(folder, f"unreadable folder: {exc.strerror or exc}"))
        return
    for entry in entries:
        if entry.name.startswith(".") or entry.path in excluded:
            continue
        try:
            info = entry.stat()  # follows symlinks
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                reason = "symlink loop"
            elif entry.is_symlink():
                reason = "broken symlink"
            else:
                reason = f"unreadable: {exc.strerror or exc}"
            skipped.append(Skip(entry.path, reason))
            continue
        if stat.S_ISDIR(info.st_mode):
            key = (info.st_dev, info.st_ino)
            if key in ancestors:
                skipped.append(Skip(entry.path, "symlink loop"))
            elif key in seen:
                skipped.append(Skip(entry.path, "already indexed through another path"))
            else:
                yield from _folder(entry.path, excluded, skipped, [*ancestors, key], seen)
        elif stat.S_ISREG(info.st_mode):
            yield entry.path
