"""The LanceDB database: lazy connection, schema version and migrations.

LanceDB is imported on first use, not at import time, so building the store is free
and the TUI paints before the database driver loads. Every table is created from an
explicit Arrow schema, and the `meta` table records the schema version so that
migrations know where they start.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from assistant.core.errors import AssistantError, StoreError
from assistant.store.lazy_client import defer_namespace_client
from assistant.store.repair import check_table, clear_unborn, repair
from assistant.store.schema import (
    CONVERSATIONS,
    DOC_CHUNKS,
    DOC_FILES,
    DOC_ROOTS,
    EMBEDDING_DIM,
    MEMORIES,
    MEMORY_EVENTS,
    MESSAGE_INDEX,
    MESSAGES,
    META,
    SCHEMA_VERSION,
    SIGNALS,
    schemas,
)
from assistant.store.torn_files import cut_short, data_files
from assistant.store.write_lock import StoreLock
from assistant.system.paths import ensure_private_dir

# The format's names are in assistant/store/schema.py; the store modules and the tests
# take them from here, with the database.
__all__ = [
    "CONVERSATIONS",
    "DOC_CHUNKS",
    "DOC_FILES",
    "DOC_ROOTS",
    "EMBEDDING_DIM",
    "MEMORIES",
    "MEMORY_EVENTS",
    "MESSAGES",
    "MESSAGE_INDEX",
    "META",
    "SCHEMA_VERSION",
    "SIGNALS",
    "LanceDatabase",
    "StoreError",
    "quote",
    "schemas",
    "utc",
    "write_failure",
]


def _v2_message_columns(db: "LanceDatabase") -> None:
    """v1 -> v2: messages gain `speaker` and `origin` (chat or import)."""
    names = set(db.raw_table(MESSAGES).schema.names)
    missing = {k: v for k, v in {"speaker": "''", "origin": "'chat'"}.items() if k not in names}
    if missing:
        with db.writing(MESSAGES) as table:
            table.add_columns(missing)


def _v3_message_context(db: "LanceDatabase") -> None:
    """v2 -> v3: replies keep the context they were given (feedback records it);
    the `signals` table is new and so is simply created."""
    if "context" not in db.raw_table(MESSAGES).schema.names:
        with db.writing(MESSAGES) as table:
            table.add_columns({"context": "''"})


# Version N -> N+1 upgrades, applied in order on open. New tables need no migration:
# they are created from their schema when missing.
MIGRATIONS: dict[int, Callable[["LanceDatabase"], None]] = {
    1: _v2_message_columns,
    2: _v3_message_context,
}


# What LanceDB and the OS say when the disk, not the write, is the problem.
_DISK_SIGNS = ("no space", "file too large", "quota", "read-only", "cut short", "i/o error")


def write_failure(table: str, exc: Exception) -> StoreError:
    """A refused write, told as what happened: a full disk, a conflict, or neither.

    The disk hint used to follow every failure, so a malformed update (a bug) read as
    "check that the disk is not full" on a disk with 75 GB free.
    """
    first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
    lowered = first.lower()
    message = f"could not write to the store's {table} table: {first}"
    if isinstance(exc, OSError) or any(sign in lowered for sign in _DISK_SIGNS):
        hint = "check that the data dir's disk is not full (`assistant doctor`)"
        return StoreError(message, hint)
    if "conflict" in lowered:
        return StoreError(
            f"could not write to the store's {table} table: another process changed it at "
            f"the same moment ({first})",
            "nothing was stored; try again",
        )
    return StoreError(
        message, "nothing was stored; this is a bug: the log has the details (`assistant paths`)"
    )


def _empty_list_sql(arrow_type: Any) -> str:
    """An empty list literal DataFusion can type (`[]` alone it cannot)."""
    import pyarrow as pa

    if arrow_type == pa.list_(pa.string()):
        return "arrow_cast(make_array(), 'List(Utf8)')"
    raise StoreError(f"cannot write an empty list to a column of type {arrow_type}")


def quote(value: str) -> str:
    """A SQL string literal for a LanceDB filter."""
    return "'" + value.replace("'", "''") + "'"


def utc(value: datetime) -> datetime:
    """Arrow may hand back naive datetimes; ours are always UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class LanceDatabase:
    """One LanceDB directory, opened on first use and migrated to SCHEMA_VERSION."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: Any = None
        self._tables: dict[str, Any] = {}
        self.lock = StoreLock(path, self._catch_up)

    def table(self, name: str) -> Any:
        """An open table, connecting and migrating first if needed.

        Once open, no lock is taken: readers holding their own locks (the vector
        caches) must never wait on `lock`, which writers hold while they update those
        caches. That inverted order deadlocked a turn's recall against the previous
        turn's learning (bench_learning_blocking found it).
        """
        if self._db is not None:
            return self._tables[name]
        with self.lock:
            if self._db is None:
                self._open()
            return self._tables[name]

    def _catch_up(self) -> None:
        """Move every open table to its latest version (another process may have written).

        Runs when this process takes the write lock, so a read-then-write (a purge, an
        update) starts from what is on disk, not from this handle's older snapshot.
        """
        if self._db is not None:
            for table in self._tables.values():
                table.checkout_latest()

    def raw_table(self, name: str) -> Any:
        """A table during opening (migrations use this)."""
        return self._tables[name]

    def rows(self, name: str, where: str | None = None) -> list[dict[str, Any]]:
        """All rows of a table matching a filter."""
        query = self.table(name).search()
        if where:
            query = query.where(where)
        rows: list[dict[str, Any]] = query.limit(None).to_list()
        return rows

    @contextmanager
    def writing(self, name: str) -> Iterator[Any]:
        """Hold the write lock around changes to table `name`, and check what they wrote.

        On a full disk, LanceDB's add, update and merge_insert can commit a data file
        cut short instead of failing (reproduced with a 1-4 kB file-size limit): the
        write returns, the turn seems stored, and the next open finds the table
        unreadable. So every data file the block added must end with a Lance footer.
        If one does not, or the block raised, the table goes back to the version it
        had before and the caller gets a StoreError: nothing is acknowledged that is
        not on disk.
        """
        with self.lock:
            if name not in self._tables:
                self.table(name)  # connects first (and migrates, which writes through here)
            table = self._tables[name]
            before = table.version
            files = data_files(self.path / f"{name}.lance")
            try:
                yield table
                torn = cut_short(data_files(self.path / f"{name}.lance") - files)
                if torn:
                    raise OSError(f"the data file {torn[0].name} was cut short")
            except Exception as exc:  # LanceDB's IO errors are RuntimeErrors
                if table.version != before:
                    # On a disk this full the rollback may fail too; the next open's
                    # damage check then repairs the table.
                    with suppress(Exception):
                        table.restore(before)
                if isinstance(exc, AssistantError):
                    raise
                raise write_failure(name, exc) from None

    def update(self, name: str, where: str, values: dict[str, Any]) -> None:
        """Set `values` on the rows matching `where`, in one checked commit.

        LanceDB turns `values` into SQL literals, and an empty list becomes
        `make_array()`, which DataFusion cannot type: the update failed with "concat
        requires input of at least one array" whenever a memory with no source messages
        (one the user typed) was reinforced or superseded. An empty list is therefore
        written as a typed empty array of its column's type.
        """
        from lancedb.util import value_to_sql

        with self.writing(name) as table:
            schema = table.schema
            sql = {
                column: (
                    _empty_list_sql(schema.field(column).type)
                    if isinstance(value, list | tuple) and not value
                    else value_to_sql(list(value) if isinstance(value, tuple) else value)
                )
                for column, value in values.items()
            }
            table.update(where=where, values_sql=sql)

    def upsert(self, name: str, key: str, rows: list[dict[str, Any]]) -> None:
        """Insert or replace `rows` by `key` in one commit (checked: see `writing`)."""
        with self.writing(name) as table:
            merge = table.merge_insert(key).when_matched_update_all()
            merge.when_not_matched_insert_all().execute(rows)

    def purge(self, *names: str) -> None:
        """Rewrite tables without their deleted rows and drop every old version.

        LanceDB's `optimize()` compacts, but it only rewrites a data file when more than
        a tenth of its rows are deleted; below that, a deleted row stays in the file,
        masked. One deleted memory among thousands would stay on disk. So each table is
        rewritten whole from its live rows (an overwrite: new files), and then every
        earlier version, with the old files, is removed.
        """
        import warnings

        with self.lock:
            for name in names:
                with self.writing(name) as table:
                    # Checked like any write: optimize below drops the old versions,
                    # so an overwrite cut short must never get that far.
                    table.add(table.to_arrow(), mode="overwrite")
                with warnings.catch_warnings():
                    # Dropping every old version is the point. LanceDB warns because a
                    # concurrent reader of an old version would fail; ours reopen at the
                    # latest.
                    warnings.simplefilter("ignore", UserWarning)
                    table.optimize(cleanup_older_than=timedelta(0), delete_unverified=True)

    def _open(self) -> None:
        try:
            defer_namespace_client()
            import lancedb

            ensure_private_dir(self.path)
            # Every read checks for a newer version (0.02 ms a check, measured), so a
            # second window or a CLI run sees what the other process wrote at once,
            # and the vector caches reload when the table moved under them.
            db = lancedb.connect(str(self.path), read_consistency_interval=timedelta(0))
            existing = set(db.list_tables(limit=1000).tables)
            if META in existing:
                # Refuse a newer store before changing anything in it.
                self._tables[META] = db.open_table(META)
                self._refuse_newer()
            tables = schemas()
            unborn = [name for name in tables if clear_unborn(self.path, name)]
            if unborn:
                existing = set(db.list_tables(limit=1000).tables)
            damage = [d for name in tables if (d := check_table(db, self.path, name, existing))]
            if damage:
                repair(db, self.path, damage, tables)
                existing = set(db.list_tables(limit=1000).tables)
            for name, schema in tables.items():
                # An existing table keeps its old schema until a migration changes it.
                if name in existing:
                    self._tables[name] = db.open_table(name)
                else:
                    self._tables[name] = db.create_table(name, schema=schema)
        except OSError as exc:
            raise StoreError(
                f"cannot open the store at {self.path}: {exc}",
                "check that the data dir is writable (`assistant paths`)",
            ) from None
        self._migrate()
        self._db = db

    def _refuse_newer(self) -> None:
        version = self._read_version()
        if version is not None and version > SCHEMA_VERSION:
            raise StoreError(
                f"the store at {self.path} has schema v{version}, "
                f"newer than this app's v{SCHEMA_VERSION}; it was left untouched",
                "upgrade the app (or point ASSISTANT_HOME elsewhere)",
            )

    def _migrate(self) -> None:
        version = self._read_version()
        if version is None:
            self.write_version(SCHEMA_VERSION)
            return
        self._refuse_newer()
        while version < SCHEMA_VERSION:
            MIGRATIONS[version](self)
            version += 1
            self.write_version(version)

    def _read_version(self) -> int | None:
        rows = self._tables[META].search().where("key = 'schema_version'").to_list()
        return int(rows[0]["value"]) if rows else None

    def write_version(self, version: int) -> None:
        """Record the schema version (after a migration step)."""
        # One commit either way: a delete-then-add killed in between would leave no
        # version, and the next start would take an old store for a new one.
        with self.writing(META) as meta:
            if self._read_version() is None:
                meta.add([{"key": "schema_version", "value": str(version)}])
            else:
                meta.update(where="key = 'schema_version'", values={"value": str(version)})

    def schema_version(self) -> int:
        """The version the store is at."""
        self.table(META)
        version = self._read_version()
        assert version is not None
        return version
