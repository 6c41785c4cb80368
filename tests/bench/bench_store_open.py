"""How long a big store takes to open: the app's open (with its damage check) vs bare LanceDB.

Builds a home whose store holds N messages (chats of 20, every message indexed with
an embedding) and N/10 memories, compacted as the app leaves it. Then, each in a
fresh process, median of `--runs`:
- `bare`: the floor, lancedb.connect and open_table for every table;
- `app`: LanceDatabase open (schema check, the damage check that reads one column
  of every table, migrations) and the conversation list;
- `check`: the damage check alone, over every table;
- `cli`: `assistant conversations list --json`, the whole command as a user runs it.
The target (issue 8) is a 100k-message store open in at most 2 s.

Run: `.venv/bin/python -m tests.bench.bench_store_open [--messages 100000] [--runs 5]`.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

from assistant.core.records import Conversation, Memory, MemorySnapshot, Message, new_id, utc_now
from assistant.store.lance import LanceStore
from assistant.store.lance_db import MEMORIES, MESSAGE_INDEX, MESSAGES, LanceDatabase
from assistant.store.memories import LanceMemoryStore
from tests.bench.report import write_result
from tests.cli_helpers import EXE

PER_CONVERSATION = 20
BATCH = 5000

_CHILD = {
    "bare": """
import time; t = time.perf_counter()
import lancedb
db = lancedb.connect(STORE)
for name in db.list_tables(limit=1000).tables:
    db.open_table(name)
print(time.perf_counter() - t)
""",
    "app": """
import time; t = time.perf_counter()
from pathlib import Path
from assistant.store.lance import LanceStore
from assistant.store.lance_db import LanceDatabase
store = LanceStore(LanceDatabase(Path(STORE)))
store.schema_version()
assert store.list_conversations()
print(time.perf_counter() - t)
""",
    "check": """
from pathlib import Path
import lancedb
from assistant.store.repair import check_table
db = lancedb.connect(STORE)
listed = set(db.list_tables(limit=1000).tables)
import time; t = time.perf_counter()
assert not [n for n in listed if check_table(db, Path(STORE), n, listed)]
print(time.perf_counter() - t)
""",
}


def _vectors(n: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, 384)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def build(store: Path, size: int) -> None:
    """N messages in chats of 20, all indexed, and N/10 memories; compacted."""
    db = LanceDatabase(store)
    messages_store, memories = LanceStore(db), LanceMemoryStore(db)
    start = utc_now() - timedelta(days=365)
    chats = [
        Conversation(new_id(), f"chat {i}", "", start, start)
        for i in range(size // PER_CONVERSATION)
    ]
    messages_store.save_conversations(chats)
    for begin in range(0, size, BATCH):
        batch = [
            Message(
                new_id(),
                chats[n // PER_CONVERSATION].id,
                "user" if n % 2 == 0 else "assistant",
                f"message {n} about the trip, the garden and the budget",
                start + timedelta(minutes=n),
            )
            for n in range(begin, min(begin + BATCH, size))
        ]
        messages_store.add_messages(batch)
        texts = [m.content for m in batch]
        memories.index_messages(batch, texts, _vectors(len(batch), begin).tolist())
    count = size // 10
    vectors = _vectors(count, 7)
    snapshots = [
        MemorySnapshot(
            Memory(new_id(), "fact", f"The user fact {i}.", f"k{i}", (), start, start),
            tuple(vectors[i].tolist()),
        )
        for i in range(count)
    ]
    memories.write_snapshots(snapshots)
    db.purge(MESSAGES, MESSAGE_INDEX, MEMORIES)


def _child(kind: str, store: Path) -> float:
    code = _CHILD[kind].replace("STORE", repr(str(store)))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return float(out.split()[-1])


def _cli(home: Path) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["ASSISTANT_HOME"] = str(home)
    begin = time.perf_counter()
    subprocess.run(
        [EXE, "conversations", "list", "--json"], env=env, capture_output=True, check=True
    )
    return time.perf_counter() - begin


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        store = home / "data" / "store"
        began = time.perf_counter()
        build(store, args.messages)
        build_s = time.perf_counter() - began
        timings: dict[str, list[float]] = {k: [] for k in (*_CHILD, "cli")}
        for _ in range(args.runs):  # interleaved, so noise hits every variant alike
            for kind in _CHILD:
                timings[kind].append(_child(kind, store))
            timings["cli"].append(_cli(home))
    median = {k: statistics.median(v) for k, v in timings.items()}
    result = {
        "messages": args.messages,
        "memories": args.messages // 10,
        "runs": args.runs,
        "build_s": round(build_s, 1),
        **{f"{k}_open_s_median": round(v, 3) for k, v in median.items()},
        "app_over_bare": round(median["app"] / median["bare"], 2),
        "target_s": 2.0,
        "meets_target": median["cli"] <= 2.0,
        "samples": {k: [round(x, 3) for x in v] for k, v in timings.items()},
    }
    write_result("bench_store_open", result)
    print(json.dumps({k: v for k, v in result.items() if k != "samples"}, indent=1))


if __name__ == "__main__":
    main()
