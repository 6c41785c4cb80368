"""Find Lance data files that a write cut short.

A Lance data file ends with its footer, and the footer ends with the magic bytes
`LANC`. On a full disk (EFBIG, ENOSPC) LanceDB can commit a version whose new data
file stopped partway: the write returns, and the next read of the table fails. A
file that does not end with the magic was cut short, whatever else is in it.
"""

from pathlib import Path

MAGIC = b"LANC"


def data_files(table_dir: Path) -> set[Path]:
    """The data files of a table directory (`<name>.lance`), as they are now."""
    data = table_dir / "data"
    return set(data.glob("*.lance")) if data.is_dir() else set()


def cut_short(files: set[Path]) -> list[Path]:
    """The files in `files` that do not end with a Lance footer, sorted."""
    torn = []
    for path in sorted(files):
        try:
            with path.open("rb") as f:
                f.seek(0, 2)
                size = f.tell()
                f.seek(max(size - len(MAGIC), 0))
                complete = size >= len(MAGIC) and f.read() == MAGIC
        except OSError:
            complete = False
        if not complete:
            torn.append(path)
    return torn
