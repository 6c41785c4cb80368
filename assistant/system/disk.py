"""What the app keeps on disk, in sizes a user can read (`assistant doctor`)."""

import shutil
from pathlib import Path

LOW_FREE_BYTES = 200 * 1024 * 1024


def human_size(n: int) -> str:
    """Bytes as B, kB, MB or GB (powers of 1000, as file managers show them)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def tree_size(path: Path) -> int:
    """Bytes in the files under `path` (0 when it does not exist)."""
    if path.is_file():
        return path.stat().st_size
    if not path.is_dir():
        return 0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def free_bytes(path: Path) -> int:
    """Free space on the file system holding `path` (or its nearest existing parent)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free
