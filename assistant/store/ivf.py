"""An inverted-file (IVF) index over the vector cache, for dense search past 50k rows.

An exact search multiplies the query by every stored vector: 8 ms at 100k rows and
73 ms (p95 108 ms) at 1M on two cores, per table, per turn. IVF clusters the vectors
with k-means into about 2*sqrt(N) lists and scores only the rows of the lists whose
centroids are nearest the query, so the rows scanned grow with sqrt(N). What it
costs is recall: a true neighbour filed in a list that is not probed is missed.
`tests/bench/bench_recall_latency.py` measures that loss against the exact search.

The index holds row positions, not vectors: the rows are read from the cache's
matrix, so it adds a few bytes per row, not a second copy of the vectors.
"""

import math

import numpy as np

# Below this many rows the exact search is a few milliseconds: no index.
ANN_MIN_ROWS = 50_000
# Lists probed per query: a fixed number, so the cost grows with sqrt(N).
NPROBE = 48
_ITERATIONS = 6
_SAMPLE_PER_LIST = 32
_BLOCK = 65_536


class IvfIndex:
    """k-means lists over the first `size` rows of a unit-vector matrix."""

    def __init__(self, matrix: np.ndarray, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.size = len(matrix)
        nlist = max(16, int(2 * math.sqrt(self.size)))
        sample_rows = rng.choice(self.size, min(self.size, _SAMPLE_PER_LIST * nlist), False)
        sample = matrix[np.sort(sample_rows)]
        centroids = sample[rng.choice(len(sample), nlist, replace=False)].copy()
        for _ in range(_ITERATIONS):
            nearest = np.argmax(sample @ centroids.T, axis=1)
            sums = np.zeros_like(centroids)
            np.add.at(sums, nearest, sample)
            norms = np.linalg.norm(sums, axis=1, keepdims=True)
            filled = norms[:, 0] > 0  # an empty list keeps its old centroid
            centroids[filled] = sums[filled] / norms[filled]
        lists = np.empty(self.size, dtype=np.int32)
        for start in range(0, self.size, _BLOCK):
            block = matrix[start : start + _BLOCK]
            lists[start : start + _BLOCK] = np.argmax(block @ centroids.T, axis=1)
        self.centroids = centroids
        self.rows = np.argsort(lists, kind="stable").astype(np.int64)
        self.bounds = np.searchsorted(lists[self.rows], np.arange(nlist + 1))

    @property
    def lists(self) -> int:
        return len(self.centroids)

    def candidates(self, query: np.ndarray, nprobe: int = NPROBE) -> np.ndarray:
        """Row positions in the `nprobe` lists nearest to `query`."""
        nprobe = min(nprobe, self.lists)
        nearest = np.argpartition(-(self.centroids @ query), nprobe - 1)[:nprobe]
        return np.concatenate([self.rows[self.bounds[i] : self.bounds[i + 1]] for i in nearest])
