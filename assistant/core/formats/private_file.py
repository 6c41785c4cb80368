"""One atomic writer for the user's copies (memory exports, transcripts): they hold what
the user said, so they are written whole or not at all, readable by the user only."""

import os
from pathlib import Path

from assistant.core.errors import InputError


def write_private_file(path: Path, text: str, example: str) -> None:
    """Write a copy the user asked for atomically, readable by them only (it holds what
    they said); `example` names a file in the hint when `path` is a folder."""
    if path.is_dir():  # also "" and "..": no name to put a temporary file beside
        raise InputError(f"{path} is a folder", f"pass a file name, e.g. {example}")
    tmp = path.with_name(path.name + ".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write {path}: {exc}", "choose a writable path") from None
