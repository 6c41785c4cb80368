"""An in-memory copy of a table's vectors, for dense search at chat speed.

A LanceDB vector query costs 10-15 ms on two cores whatever the table size, mostly
fixed overhead, and a turn runs two of them. A NumPy matrix product over 10k rows
takes under a millisecond. The table stays the source of truth: the cache is loaded
from it, extended in place by this process's own writes, and reloaded whenever the
table's version moved in a way this process did not make (another process wrote).

Past `ANN_MIN_ROWS` rows the dense search goes through an IVF index (see ivf.py),
built in a background thread; until it is ready, and whenever the filter leaves too
few of its candidates, the search is exact.
"""

import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from assistant.store.ivf import ANN_MIN_ROWS, IvfIndex
from assistant.store.keyword_index import KeywordIndex


class VectorCache:
    """Row ids, a few filter columns, and a unit-vector matrix for one table."""

    def __init__(
        self,
        table: Callable[[], Any],
        columns: Sequence[str],
        keyword_column: str = "",
        ann_min_rows: int = ANN_MIN_ROWS,
    ) -> None:
        self._table = table
        self._columns = list(columns)
        self._keyword_column = keyword_column
        self._keywords: KeywordIndex | None = None
        self._lock = threading.Lock()
        self._version: int | None = None
        self._stale = False
        self.ids: list[str] = []
        self.values: dict[str, list[Any]] = {}
        self.matrix = np.zeros((0, 0), dtype=np.float32)
        self._ann_min_rows = ann_min_rows
        self._index: IvfIndex | None = None
        self._unindexed: set[int] = set()  # rows whose vector changed after the build
        self._moved_in_build: set[int] = set()  # of those, changed while one ran
        self._generation = 0  # a reload makes a build in flight obsolete
        self._built = threading.Event()
        self._built.set()

    def _load(self, table: Any) -> None:
        arrow = table.search().select(["id", *self._columns, "vector"]).limit(None).to_arrow()
        self.ids = arrow.column("id").to_pylist()
        self.values = {c: arrow.column(c).to_pylist() for c in self._columns}
        vectors = arrow.column("vector").combine_chunks()
        width = vectors.type.list_size
        flat = vectors.values.to_numpy(zero_copy_only=False)
        self.matrix = np.asarray(flat, dtype=np.float32).reshape(len(self.ids), width)
        self._keywords = None
        self._version = table.version
        self._index = None
        self._unindexed = set()
        self._generation += 1

    def fresh(self) -> "VectorCache":
        """Reload when the table moved under us (another process wrote)."""
        table = self._table()  # outside our lock: see LanceDatabase.table
        with self._lock:
            if self._version is None or self._version != table.version:
                self._load(table)
        return self

    def record_write(self, apply: Callable[["VectorCache"], None] | None = None) -> None:
        """Account for one write this process just made to the table.

        `apply` mirrors the write in the cache. If the table moved by more than this
        one write (another process wrote too), the cache reloads on next use instead.
        """
        with self._lock:
            if self._version is None:
                return
            current = self._table().version
            if current != self._version + 1:
                self._version = None
                return
            if apply is not None:
                apply(self)
            self._version = None if self._stale else current
            self._stale = False

    def append(self, rows: Sequence[dict[str, Any]]) -> None:
        """Add rows (use inside `record_write`)."""
        self.ids.extend(r["id"] for r in rows)
        for column in self._columns:
            self.values[column].extend(r[column] for r in rows)
        new = np.asarray([r["vector"] for r in rows], dtype=np.float32)
        self.matrix = new if self.matrix.size == 0 else np.vstack([self.matrix, new])
        if self._keywords is not None:
            self._keywords.add([r[self._keyword_column] for r in rows])

    def set(self, row_id: str, changes: dict[str, Any]) -> None:
        """Change cached columns of one row (use inside `record_write`)."""
        try:
            index = self.ids.index(row_id)
        except ValueError:
            self._stale = True
            return
        for column, value in changes.items():
            if column == "vector":
                self.matrix[index] = np.asarray(value, dtype=np.float32)
                self._unindexed.add(index)  # its IVF list may be wrong now
                self._moved_in_build.add(index)
            elif column in self.values:
                if column == self._keyword_column and self.values[column][index] != value:
                    self._keywords = None  # rebuilt on next keyword search
                self.values[column][index] = value

    def invalidate(self) -> None:
        """Reload on next use (after deletes)."""
        with self._lock:
            self._version = None

    def row(self, index: int) -> dict[str, Any]:
        """The cached columns of one row."""
        return {"id": self.ids[index], **{c: v[index] for c, v in self.values.items()}}

    def keyword_top(
        self, query: str, k: int, keep: Callable[[int], bool]
    ) -> list[tuple[int, float]]:
        """(row index, BM25 score) of the best k rows for `query` that `keep` accepts."""
        with self._lock:
            if self._keywords is None:
                self._keywords = KeywordIndex()
                self._keywords.add(self.values[self._keyword_column])
            return self._keywords.top(query, k, keep)

    def top(
        self, vector: Sequence[float], k: int, keep: Callable[[int], bool], exact: bool = False
    ) -> list[tuple[int, float]]:
        """(row index, cosine) of the k rows closest to `vector` that `keep` accepts.

        Through the IVF index when there is one (unless `exact`), falling back to the
        exact search when its candidates hold fewer than k rows that `keep` accepts.
        """
        query = np.asarray(vector, dtype=np.float32)
        with self._lock:
            if not self.ids:
                return []
            self._index_in_background()
            index = None if exact else self._index
            if index is not None:
                rows = self._candidates(index, query)
                near = _best(self.matrix[rows] @ query, k, keep, rows)
                if len(near) == k:
                    return near
            scores = self.matrix @ query
        return _best(scores, k, keep)

    def _candidates(self, index: IvfIndex, query: np.ndarray) -> np.ndarray:
        """The index's candidates plus every row it does not cover (appended, changed)."""
        rows = index.candidates(query)
        late = np.arange(index.size, len(self.ids))
        if self._unindexed:
            changed = np.fromiter(self._unindexed, dtype=np.int64)
            return np.unique(np.concatenate([rows, late, changed]))
        return np.concatenate([rows, late]) if len(late) else rows

    def _index_in_background(self) -> None:
        """Start an index build if the table is big enough and the index missing or
        stale (a fifth of the rows uncovered). Called with the lock held."""
        rows = len(self.ids)
        if rows < self._ann_min_rows or not self._built.is_set():
            return
        index = self._index
        if index is not None and rows - index.size + len(self._unindexed) <= index.size // 5:
            return
        self._built.clear()
        self._moved_in_build = set()
        covered = frozenset(self._unindexed)
        build = threading.Thread(
            target=self._build,
            args=(self.matrix, covered, self._generation),
            name="ivf-index",
            daemon=True,
        )
        build.start()

    def _build(self, matrix: np.ndarray, covered: frozenset[int], generation: int) -> None:
        try:
            index = IvfIndex(matrix)
            with self._lock:
                if generation == self._generation:
                    self._index = index
                    # Changed before the build began, and not since: indexed now.
                    self._unindexed -= covered - self._moved_in_build
        finally:
            self._built.set()

    def wait_for_index(self, timeout: float) -> bool:
        """Wait until no index build is running (benchmarks and tests); True if none is."""
        return self._built.wait(timeout)

    @property
    def indexed_rows(self) -> int:
        """How many rows the IVF index covers (0: dense search is exact)."""
        return 0 if self._index is None else self._index.size


def _best(
    scores: np.ndarray, k: int, keep: Callable[[int], bool], rows: np.ndarray | None = None
) -> list[tuple[int, float]]:
    """The k best (row, score) that `keep` accepts; `rows` maps score positions to rows."""
    wanted = min(len(scores), max(8 * k, 64))
    while True:
        if wanted < len(scores):
            head = np.argpartition(-scores, wanted - 1)[:wanted]
            order = head[np.argsort(-scores[head])]
        else:
            order = np.argsort(-scores)
        ids = order if rows is None else rows[order]
        out = [(int(r), float(scores[i])) for i, r in zip(order, ids, strict=True) if keep(int(r))]
        if len(out) >= k or wanted >= len(scores):
            return out[:k]
        wanted = min(len(scores), wanted * 8)
