"""Dataset and memory exports already written to disk, so that a delete can name them.

An export is a copy the user asked for; deleting a memory cannot reach into it
silently. Every export the app writes is recorded in `exports.json` in the data dir,
and `forget` lists those that still hold the forgotten text (or, with
`--include-exports`, deletes them).
"""

import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from assistant.core.formats.private_file import write_private_file
from assistant.system.paths import Paths


def _registry(paths: Paths) -> Path:
    return paths.data / "exports.json"


def written_exports(paths: Paths) -> list[Path]:
    """Every recorded export that still exists, oldest first."""
    try:
        recorded = json.loads(_registry(paths).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    found = [Path(p) for p in recorded if isinstance(p, str)]
    return [p for p in dict.fromkeys(found) if p.exists()]


def record_export(paths: Paths, path: Path) -> None:
    """Remember that an export was written at `path` (a file or a folder)."""
    known = [str(p) for p in written_exports(paths)]
    entry = str(path.resolve())
    if entry not in known:
        known.append(entry)
    _save(paths, known)


def _save(paths: Paths, entries: list[str]) -> None:
    target = _registry(paths)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(entries, f, indent=1)
    os.replace(tmp, target)


def _files(path: Path) -> Iterable[Path]:
    return (p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]


def exports_containing(paths: Paths, texts: Iterable[str]) -> list[Path]:
    """The recorded exports in which any of `texts` occurs, byte for byte."""
    needles = [t.encode("utf-8") for t in texts if t]
    found = []
    for export in written_exports(paths):
        for file in _files(export):
            try:
                data = file.read_bytes()
            except OSError:
                continue
            # JSON writers may escape non-ASCII; check that spelling too.
            if any(n in data or json.dumps(n.decode())[1:-1].encode() in data for n in needles):
                found.append(export)
                break
    return found


def remove_exports(paths: Paths, exports: Iterable[Path]) -> list[Path]:
    """Delete exports from disk and from the registry; returns what was removed."""
    removed = []
    for export in exports:
        if export.is_dir():
            shutil.rmtree(export)
        else:
            export.unlink(missing_ok=True)
        removed.append(export)
    gone = {str(p) for p in removed}
    _save(paths, [str(p) for p in written_exports(paths) if str(p) not in gone])
    return removed


def save_transcript(paths: Paths, path: Path, text: str) -> None:
    """Write `text` to `path` atomically, readable by the user only (it is their chat),
    and record it as an export, so deleting the conversation later names this copy."""
    write_private_file(path, text, "chat.md")
    record_export(paths, path)
