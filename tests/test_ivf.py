"""Dense search through the IVF index of the vector cache, over a real LanceDB table.

The index normally starts at 50k rows; here it starts at 1,000 so the test is quick.
The rows are clustered, like embeddings of one person's sentences are.
"""

from pathlib import Path
from typing import Any

import lancedb
import numpy as np
import pytest

from assistant.store.vector_cache import VectorCache

DIM, ROWS, CLUSTERS = 32, 4000, 40


def _unit(vectors: np.ndarray) -> np.ndarray:
    return (vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)).astype(np.float32)


def _rows(vectors: np.ndarray, start: int) -> list[dict[str, Any]]:
    return [
        {"id": f"r{start + i}", "kind": "fact", "vector": v.tolist()} for i, v in enumerate(vectors)
    ]


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Any, VectorCache, np.ndarray]:
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(CLUSTERS, DIM))
    vectors = _unit(centres[rng.integers(0, CLUSTERS, ROWS)] + rng.normal(0, 0.3, (ROWS, DIM)))
    table = lancedb.connect(tmp_path).create_table("t", data=_rows(vectors, 0))
    cache = VectorCache(lambda: table, ["kind"], ann_min_rows=1000)
    cache.fresh().top(vectors[0], 1, lambda i: True)  # the first search starts the build
    assert cache.wait_for_index(60)
    assert cache.indexed_rows == ROWS
    return table, cache, vectors


def _ids(hits: list[tuple[int, float]]) -> list[int]:
    return [i for i, _ in hits]


def test_the_index_finds_nearly_what_the_exact_search_finds(
    setup: tuple[Any, VectorCache, np.ndarray],
) -> None:
    _, cache, vectors = setup
    rng = np.random.default_rng(1)
    queries = _unit(vectors[rng.integers(0, ROWS, 50)] + rng.normal(0, 0.2, (50, DIM)))
    recalls = []
    for query in queries:
        near = cache.top(query, 10, lambda i: True)
        exact = cache.top(query, 10, lambda i: True, exact=True)
        assert [s for _, s in near] == sorted((s for _, s in near), reverse=True)
        for row, score in near:  # true cosines, not approximations
            assert score == pytest.approx(float(vectors[row] @ query), abs=1e-5)
        recalls.append(len(set(_ids(near)) & set(_ids(exact))) / 10)
    assert np.mean(recalls) >= 0.9


def test_rows_added_or_changed_after_the_build_are_found(
    setup: tuple[Any, VectorCache, np.ndarray],
) -> None:
    table, cache, _ = setup
    rng = np.random.default_rng(2)
    added = _unit(rng.normal(size=(5, DIM)))
    rows = _rows(added, ROWS)
    table.add(rows)
    cache.record_write(lambda c: c.append(rows))
    moved = _unit(rng.normal(size=DIM))
    cache.set("r17", {"vector": moved.tolist()})

    assert _ids(cache.top(added[3], 1, lambda i: True)) == [ROWS + 3]
    assert _ids(cache.top(moved, 1, lambda i: True)) == [17]
    assert cache.indexed_rows == ROWS  # no rebuild: 6 uncovered rows of 4005


def test_a_filter_that_rejects_the_candidates_falls_back_to_exact(
    setup: tuple[Any, VectorCache, np.ndarray],
) -> None:
    _, cache, vectors = setup
    query = vectors[0]
    farthest = np.argsort(vectors @ query)[:3]  # never among the probed lists' rows
    allowed = {int(i) for i in farthest}

    hits = cache.top(query, 3, lambda i: i in allowed)

    assert set(_ids(hits)) == allowed


def test_the_index_is_rebuilt_once_a_fifth_of_the_rows_is_new(
    setup: tuple[Any, VectorCache, np.ndarray],
) -> None:
    table, cache, _ = setup
    more = _unit(np.random.default_rng(3).normal(size=(1000, DIM)))
    rows = _rows(more, ROWS)
    table.add(rows)
    cache.record_write(lambda c: c.append(rows))

    cache.top(more[0], 1, lambda i: True)  # stale: starts a rebuild
    assert cache.wait_for_index(60)

    hits = cache.top(more[10], 1, lambda i: True)
    assert _ids(hits) == [ROWS + 10]
    assert cache.indexed_rows == ROWS + 1000
