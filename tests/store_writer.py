"""A child process that writes to a real store and acknowledges each write on stdout.

`python -m tests.store_writer STORE TAG COUNT [--purge-every N]` adds COUNT memories
with ids `TAG-0`, `TAG-1`, … through the app's own LanceMemoryStore, printing each id
only after the write returned (an acknowledgement). With `--purge-every N` it also
adds and forgets a scratch memory every N writes: a delete that rewrites the table,
the write most likely to lose another process's rows. The concurrency and crash tests
run it in parallel with itself or kill it at random points.
"""

import argparse
import random
import sys
from datetime import UTC, datetime
from pathlib import Path

from assistant.core.records import Memory
from assistant.store.erase import erase
from assistant.store.lance_db import EMBEDDING_DIM, LanceDatabase
from assistant.store.memories import LanceMemoryStore


def memory(memory_id: str, text: str) -> Memory:
    now = datetime.now(UTC)
    return Memory(memory_id, "fact", text, "", (), now, now)


def vector(seed: str) -> list[float]:
    rng = random.Random(seed)
    return [rng.uniform(-1, 1) for _ in range(EMBEDDING_DIM)]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("store", type=Path)
    parser.add_argument("tag")
    parser.add_argument("count", type=int)
    parser.add_argument("--purge-every", type=int, default=0)
    args = parser.parse_args(argv)
    db = LanceDatabase(args.store)
    memories = LanceMemoryStore(db)
    for i in range(args.count):
        memory_id = f"{args.tag}-{i}"
        memories.add_memory(memory(memory_id, f"{args.tag} remembers fact {i}"), vector(memory_id))
        print(memory_id, flush=True)
        if args.purge_every and i % args.purge_every == args.purge_every - 1:
            scratch = f"{args.tag}-scratch-{i}"
            memories.add_memory(memory(scratch, "scratch"), vector(scratch))
            erase(db, [scratch], [])
            print(f"purged {scratch}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
