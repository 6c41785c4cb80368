"""Find damaged LanceDB tables on open, keep a copy aside, and rebuild what can be read.

LanceDB commits are atomic (a version file is written last), so a crash leaves the
previous version, never half a write. Damage comes from outside: a version file
deleted, a data file truncated by a full disk or a bad copy. Each table is checked
by reading its smallest column in full, which opens every data file's footer. A
damaged table is rebuilt from the rows that still read, window by window, after the
whole store was copied aside for the user. The shells show the warning this module
logs to `assistant.logs.NOTICES`.
"""

import json
import logging
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.system.logs import NOTICES

log = logging.getLogger(NOTICES)

WINDOW = 1024


@dataclass(frozen=True)
class Damage:
    """One table that did not read back whole."""

    table: str
    problem: str


def _newest_version_hint(folder: Path) -> int | None:
    """The version LanceDB last committed, from its hint file (None when unreadable)."""
    try:
        hint = json.loads((folder / "_versions" / "latest_version_hint.json").read_text())
        return int(hint["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def clear_unborn(path: Path, name: str) -> bool:
    """Remove table `name`'s folder if its creation was cut short; True when it was.

    LanceDB creates a table by writing a transaction file, then its first version file.
    A process killed in between (the first start after an upgrade creates new tables)
    leaves a folder with no version file and no data: nothing was committed, so nothing
    is lost, and the table is simply created again. With data files it is damage.
    """
    folder = path / f"{name}.lance"
    if not folder.exists() or any((folder / "_versions").glob("*.manifest")):
        return False
    if any((folder / "data").glob("*")):
        return False
    shutil.rmtree(folder)
    return True


def check_table(connection: Any, path: Path, name: str, listed: set[str]) -> Damage | None:
    """Whether table `name` opens and reads; None when it is sound (or absent)."""
    folder = path / f"{name}.lance"
    if folder.exists() and not any((folder / "_versions").glob("*.manifest")):
        return Damage(name, "its version files are missing")
    if name not in listed:
        return None
    try:
        table = connection.open_table(name)
        column = table.schema.names[0]
        table.search().select([column]).limit(None).to_arrow()
    except Exception as exc:  # LanceDB reports damage as RuntimeError, OSError or ValueError
        return Damage(name, f"it does not read: {str(exc).splitlines()[0][:200]}")
    hint = _newest_version_hint(folder)
    if hint is not None and hint > table.version:
        return Damage(name, f"its newest version file (v{hint}) is missing")
    return None


def salvage(table: Any) -> Any:
    """The rows of `table` that still read, as one Arrow table (windows, then single rows)."""
    import pyarrow as pa

    total = table.count_rows()
    pieces: list[Any] = []
    for start in range(0, total, WINDOW):
        batch = _read(table, start, WINDOW)
        if batch is None:
            rows = (_read(table, row, 1) for row in range(start, min(start + WINDOW, total)))
            pieces.extend(r for r in rows if r is not None)
        else:
            pieces.append(batch)
    return pa.concat_tables(pieces) if pieces else table.schema.empty_table()


def _read(table: Any, offset: int, limit: int) -> Any:
    try:
        return table.search().limit(limit).offset(offset).to_arrow()
    except Exception:  # a damaged data file in this window
        return None


def repair(connection: Any, path: Path, damage: Iterable[Damage], schemas: dict[str, Any]) -> Path:
    """Copy the store aside, then rebuild each damaged table from its readable rows.

    Returns where the copy went. A table whose versions are gone cannot be read at
    all; it starts empty (the copy keeps its files for a manual rescue).
    """
    damage = list(damage)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    shutil.copytree(path, aside)
    for item in damage:
        rows = None
        try:
            table = connection.open_table(item.table)
            rows = salvage(table)
            schema = table.schema
        except Exception:  # no version to open: nothing to salvage
            schema = schemas[item.table]
        shutil.rmtree(path / f"{item.table}.lance", ignore_errors=True)
        if rows is not None and rows.num_rows:
            connection.create_table(item.table, data=rows, schema=schema)
            kept = f"kept {rows.num_rows} readable rows"
        else:
            connection.create_table(item.table, schema=schema)
            kept = "no rows could be read"
        log.warning(
            "The store's %s table was damaged (%s); %s. A copy of the damaged store is in %s.",
            item.table,
            item.problem,
            kept,
            aside,
        )
    return aside
