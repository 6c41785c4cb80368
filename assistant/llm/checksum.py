"""sha256 checks for model files, remembered in a small marker beside the file.

Hashing a multi-GB GGUF on every start would cost seconds, so a verified file gets a
`.verified` marker holding its hash, size and mtime; a changed file fails the marker.
"""

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

_BLOCK = 4 * 1024 * 1024


def _marker(target: Path) -> Path:
    return target.with_name(target.name + ".verified")


def is_verified(target: Path, expected: str, marker: Path | None = None) -> bool:
    """True when `target` was verified against `expected` and has not changed since.

    `marker` puts the record elsewhere than beside the file: a model inside an
    installed package may sit in a read-only site-packages.
    """
    try:
        stat = target.stat()
        mark = json.loads((marker or _marker(target)).read_text())
    except (OSError, ValueError):
        return False
    return bool(mark == {"sha256": expected, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns})


def unchanged_since_marked(target: Path) -> bool:
    """True when `target` has a marker and has not changed since: for a file this app
    wrote and hashed itself, whose expected hash is the one it recorded."""
    try:
        recorded = json.loads(_marker(target).read_text())["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return is_verified(target, str(recorded))


def mark_verified(target: Path, expected: str, marker: Path | None = None) -> None:
    """Record that `target` matches `expected` as it is now."""
    stat = target.stat()
    (marker or _marker(target)).write_text(
        json.dumps({"sha256": expected, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns})
    )


def sha256_file(path: Path, progress: Callable[[int, int], None] = lambda _d, _t: None) -> str:
    """Hash a file in blocks, reporting (bytes done, total)."""
    total = path.stat().st_size
    digest = hashlib.sha256()
    done = 0
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
            done += len(block)
            progress(done, total)
    return digest.hexdigest()
