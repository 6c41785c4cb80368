"""Byte searches over the app's directories: the proof that a delete really deleted.

Searches every file (LanceDB data files, `_versions`, `_deletions`, `_transactions`,
indices, the log, exports) for a text and for the raw float32 bytes of an embedding.
"""

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np


def files_containing(roots: Iterable[Path], needle: bytes) -> list[Path]:
    """Every file under `roots` whose bytes contain `needle`."""
    return [
        path
        for root in roots
        if root.exists()
        for path in sorted(root.rglob("*"))
        if path.is_file() and needle in path.read_bytes()
    ]


def vector_bytes(vector: Sequence[float]) -> bytes:
    """The first 32 dimensions of an embedding as stored (little-endian float32)."""
    return np.asarray(vector[:32], dtype="<f4").tobytes()


def traces(roots: Iterable[Path], text: str, vectors: Sequence[Sequence[float]] = ()) -> list[str]:
    """Where a text (UTF-8 or JSON-escaped) or any of `vectors` still sits on disk."""
    roots = list(roots)
    found = [f"text in {p}" for p in files_containing(roots, text.encode())]
    for vector in vectors:
        found += [f"embedding in {p}" for p in files_containing(roots, vector_bytes(vector))]
    return found


def tables_with_old_versions(store: Path) -> dict[str, int]:
    """LanceDB tables under `store` that still keep more than their latest version.

    A byte search cannot see into compressed pages; this check does not depend on
    the encoding: an erase leaves each table with one version, so no earlier one
    that held the text can be checked out. (`meta` holds the schema version and
    fingerprints of message ids, never text.)
    """
    from assistant.store.lance_db import META, LanceDatabase, schemas

    db = LanceDatabase(store)
    counts = {name: len(db.table(name).list_versions()) for name in schemas() if name != META}
    return {name: n for name, n in counts.items() if n > 1}
