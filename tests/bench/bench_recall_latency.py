"""Per-turn retrieval and context-assembly overhead at 1k, 10k, 100k and 1M memories.

The store holds N memories and N indexed messages (synthetic sentences; vectors from
the real embedder for a pool of sentences, perturbed for the rest, so the vector
search scans realistic data). Each turn then runs exactly what a chat turn runs:
`LearningLoop.context_for` (query embedding, dense and full-text search over memories
and messages, fusion, packing). The query embedding is timed separately too.

From 50k rows the dense search goes through an IVF index (assistant/store/ivf.py);
the benchmark waits for it to be built, then times the dense search through it and
exact (alternated, per table) and records the recall@10 the index loses.

Run: `.venv/bin/python -m tests.bench.bench_recall_latency [--sizes 1000,10000]`.
"""

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant.core.learning.loop import LearningLoop
from assistant.core.records import Memory, utc_now
from assistant.embedder import load_embedder
from assistant.store.lance_db import MEMORIES, MESSAGE_INDEX, LanceDatabase
from assistant.store.memories import LanceMemoryStore, _memory_row
from assistant.store.vector_cache import VectorCache
from tests.bench.report import write_result

POOL = 1500
QUERIES = 60
SUBJECTS = [
    "coffee",
    "tea",
    "jazz",
    "hiking",
    "Lisbon",
    "Berlin",
    "cats",
    "dogs",
    "chess",
    "Python",
    "Rust",
    "sushi",
    "pasta",
    "cycling",
]
VERBS = [
    "likes",
    "hates",
    "prefers",
    "enjoys",
    "owns",
    "visited",
    "studies",
    "mentioned",
    "booked",
    "recommended",
]
EXTRAS = [
    "on",
    "weekends",
    "with",
    "friends",
    "since",
    "2019",
    "at",
    "night",
    "for",
    "work",
    "in",
    "the",
    "summer",
    "every",
    "morning",
]


def sentence(rng: random.Random) -> str:
    return (
        f"The user {rng.choice(VERBS)} {rng.choice(SUBJECTS)} and {rng.choice(SUBJECTS)} "
        f"{rng.choice(EXTRAS)} {rng.randint(1, 9999)}."
    )


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def populate(store: LanceMemoryStore, n: int, pool: list[str], vectors: np.ndarray) -> None:
    rng = np.random.default_rng(7)
    now = utc_now()
    batch = 5000
    for start in range(0, n, batch):
        size = min(batch, n - start)
        picks = rng.integers(0, len(pool), size)
        noisy = vectors[picks] + rng.normal(0, 0.02, (size, vectors.shape[1])).astype(np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        memory_rows = [
            _memory_row(
                Memory(f"m{start + i}", "fact", pool[p], f"k{start + i}", (), now, now), noisy[i]
            )
            for i, p in enumerate(picks)
        ]
        message_rows = [
            {
                "id": f"x{start + i}",
                "conversation_id": f"c{(start + i) // 20}",
                "role": "user",
                "speaker": "",
                "text": pool[p],
                "created_at": now,
                "vector": noisy[i].tolist(),
            }
            for i, p in enumerate(picks)
        ]
        store.db.table(MEMORIES).add(memory_rows)
        store.db.table(MESSAGE_INDEX).add(message_rows)


def dense_search(caches: tuple[VectorCache, ...], vectors: list[list[float]]) -> dict[str, float]:
    """The dense top 10 of both tables, through the index and exact, alternated: the
    median time of each and the mean share of the exact top 10 the index returns."""
    shares, indexed_ms, exact_ms = [], [], []
    for vector in vectors:
        for cache in caches:
            started = time.perf_counter()
            near = {i for i, _ in cache.top(vector, 10, lambda i: True)}
            indexed_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            exact = {i for i, _ in cache.top(vector, 10, lambda i: True, exact=True)}
            exact_ms.append((time.perf_counter() - started) * 1000)
            shares.append(len(near & exact) / len(exact))
    return {
        "dense_ms_p50": round(statistics.median(indexed_ms), 2),
        "dense_exact_ms_p50": round(statistics.median(exact_ms), 2),
        "ann_recall_at_10": round(statistics.mean(shares), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rng = random.Random(11)
    embedder = load_embedder()
    pool = [sentence(rng) for _ in range(POOL)]
    vectors = np.array(embedder.embed(pool), dtype=np.float32)
    queries = [f"what do I think about {rng.choice(SUBJECTS)}?" for _ in range(QUERIES)]
    embed_ms = []
    for q in queries:
        started = time.perf_counter()
        embedder.embed([q])
        embed_ms.append((time.perf_counter() - started) * 1000)
    rows = []
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            store = LanceMemoryStore(LanceDatabase(Path(tmp) / "store"))
            started = time.perf_counter()
            populate(store, n, pool, vectors)
            fill_s = time.perf_counter() - started
            loop = LearningLoop(store, embedder)
            loop.context_for("warm up", "c0", 512, len)  # builds the full-text indexes
            caches = store.vector_caches()
            for cache in caches:  # the first search started the IVF builds
                assert cache.wait_for_index(1800)
            dense = dense_search(caches, [embedder.embed([q])[0] for q in queries])
            turn_ms, search_ms = [], []
            for q in queries:
                vector = embedder.embed([q])[0]
                started = time.perf_counter()
                loop.context_for(q, "c0", 512, len, vector=vector)
                search_ms.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                loop.context_for(q, "c0", 512, len)
                turn_ms.append((time.perf_counter() - started) * 1000)
            rows.append(
                {
                    "memories": n,
                    "messages": n,
                    "fill_s": round(fill_s, 2),
                    "search_and_assembly_ms_p50": round(statistics.median(search_ms), 2),
                    "search_and_assembly_ms_p95": round(percentile(search_ms, 95), 2),
                    "turn_total_ms_p50": round(statistics.median(turn_ms), 2),
                    "turn_total_ms_p95": round(percentile(turn_ms, 95), 2),
                    "ivf_rows": [cache.indexed_rows for cache in caches],
                    **dense,
                }
            )
            print(rows[-1])
    write_result(
        "recall_latency",
        {
            "benchmark": "recall_latency",
            "queries_per_size": QUERIES,
            "query_embedding_ms_p50": round(statistics.median(embed_ms), 2),
            "query_embedding_ms_p95": round(percentile(embed_ms, 95), 2),
            "sizes": rows,
            "note": "turn_total includes the query embedding; search_and_assembly does not",
        },
    )
    print(
        f"\n{'memories':>9} {'search p50':>11} {'search p95':>11} {'turn p50':>9} "
        f"{'turn p95':>9} {'dense':>6} {'exact':>6} {'ANN recall@10':>14}"
    )
    for r in rows:
        print(
            f"{r['memories']:>9} {r['search_and_assembly_ms_p50']:>11} "
            f"{r['search_and_assembly_ms_p95']:>11} {r['turn_total_ms_p50']:>9} "
            f"{r['turn_total_ms_p95']:>9} {r['dense_ms_p50']:>6} {r['dense_exact_ms_p50']:>6} "
            f"{r['ann_recall_at_10']:>14}"
        )


if __name__ == "__main__":
    main()
