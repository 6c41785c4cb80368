"""On-disk bytes per stored message and per memory, against the raw payload.

Builds the store of bench_forget (N messages in chats of 20, each reply with a context
JSON; N indexed messages; N/10 memories with an event) and, once compacted, divides
each table's bytes by its rows. The baseline is the raw payload: the UTF-8 text plus a
384-float32 embedding (1536 bytes) where there is one.

Run: `.venv/bin/python -m tests.bench.bench_footprint [--sizes 1000,10000]`.
"""

import argparse
import tempfile
from pathlib import Path

from assistant.store.lance_db import (
    MEMORIES,
    MEMORY_EVENTS,
    MESSAGE_INDEX,
    MESSAGES,
    LanceDatabase,
)
from tests.bench.bench_forget import build
from tests.bench.report import write_result

VECTOR_BYTES = 384 * 4


def _bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def measure(size: int, root: Path) -> dict[str, float]:
    store = root / f"store-{size}"
    build(store, size)
    db = LanceDatabase(store)
    messages = db.rows(MESSAGES)
    memories = db.rows(MEMORIES)
    text = sum(len(r["content"].encode()) + len(r["context"].encode()) for r in messages)
    memory_text = sum(len(r["text"].encode()) for r in memories)
    per_message = (
        _bytes(store / f"{MESSAGES}.lance") + _bytes(store / f"{MESSAGE_INDEX}.lance")
    ) / len(messages)
    per_memory = (
        _bytes(store / f"{MEMORIES}.lance") + _bytes(store / f"{MEMORY_EVENTS}.lance")
    ) / len(memories)
    raw_message = text / len(messages) + VECTOR_BYTES
    raw_memory = memory_text / len(memories) + VECTOR_BYTES
    return {
        "messages": len(messages),
        "memories": len(memories),
        "bytes_per_message": round(per_message),
        "raw_bytes_per_message": round(raw_message),
        "bytes_per_memory": round(per_memory),
        "raw_bytes_per_memory": round(raw_memory),
        "store_bytes": _bytes(store),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            results.append(measure(size, Path(tmp)))
    write_result("bench_footprint", {"sizes": results})
    print(
        f"{'messages':>9}{'B/message':>11}{'raw':>7}{'ratio':>7}{'B/memory':>10}{'raw':>7}{'ratio':>7}"
    )
    for r in results:
        print(
            f"{r['messages']:>9}{r['bytes_per_message']:>11}{r['raw_bytes_per_message']:>7}"
            f"{r['bytes_per_message'] / r['raw_bytes_per_message']:>7.2f}"
            f"{r['bytes_per_memory']:>10}{r['raw_bytes_per_memory']:>7}"
            f"{r['bytes_per_memory'] / r['raw_bytes_per_memory']:>7.2f}"
        )


if __name__ == "__main__":
    main()
