"""What a delete that really deletes costs, against LanceDB's plain `delete()`.

A store holds N messages in conversations of 20 (every reply with a context JSON that
quotes a memory), N indexed messages, N/10 memories with events. Then, side by side on
copies of the same store:
- baseline: `table.delete()` on the memory's rows (what a naive app does; the text
  stays on disk, which this benchmark also counts with a byte search);
- ours: `LanceStore.forget` (rows, events, signals, quoted contexts, compaction and
  cleanup of every touched table), for one memory and for one conversation.

Run: `.venv/bin/python -m tests.bench.bench_forget [--sizes 1000,10000] [--repeats 5]`.
"""

import argparse
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path

import numpy as np

from assistant.core.records import Conversation, Memory, MemoryEvent, Message, new_id, utc_now
from assistant.store.lance import LanceStore
from assistant.store.lance_db import MEMORIES, MEMORY_EVENTS, LanceDatabase, quote
from assistant.store.memories import LanceMemoryStore
from tests.bench.report import write_result
from tests.erasure import files_containing

PER_CONVERSATION = 20


def _vectors(n: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, 384)).astype(np.float32)
    unit: np.ndarray = v / np.linalg.norm(v, axis=1, keepdims=True)
    return unit


def build(path: Path, size: int) -> tuple[list[str], list[str]]:
    """Fill a store; returns (memory ids, conversation ids), each with a unique marker."""
    db = LanceDatabase(path)
    store, memories = LanceStore(db), LanceMemoryStore(db)
    start = utc_now() - timedelta(days=30)
    memory_ids = [new_id() for _ in range(size // 10)]
    chats = [
        Conversation(new_id(), f"chat {i}", "", start, start)
        for i in range(size // PER_CONVERSATION)
    ]
    store.save_conversations(chats)
    messages = []
    for c, chat in enumerate(chats):
        for i in range(PER_CONVERSATION):
            quoted = memory_ids[(c * PER_CONVERSATION + i) % len(memory_ids)]
            context = json.dumps(
                {"memories": [{"id": quoted, "text": f"marker-M{quoted}"}], "messages": []}
            )
            messages.append(
                Message(
                    new_id(),
                    chat.id,
                    "user" if i % 2 == 0 else "assistant",
                    f"marker-C{chat.id} message {i} about something",
                    start + timedelta(minutes=c * PER_CONVERSATION + i),
                    context=context if i % 2 else "",
                )
            )
    for begin in range(0, len(messages), 2000):
        batch = messages[begin : begin + 2000]
        store.add_messages(batch)
        memories.index_messages(
            batch, [m.content for m in batch], _vectors(len(batch), begin).tolist()
        )
    vectors = _vectors(len(memory_ids), 7)
    for i, memory_id in enumerate(memory_ids):
        memory = Memory(memory_id, "fact", f"marker-M{memory_id}", f"k{i}", (), start, start)
        memories.add_memory(memory, vectors[i].tolist())
        memories.record_event(
            MemoryEvent(new_id(), memory_id, "add", start, "extracted", (), memory.text)
        )
    db.purge(*(name for name in ("messages", "message_index", MEMORIES, MEMORY_EVENTS)))
    return memory_ids, [c.id for c in chats]


def plain_delete(db: LanceDatabase, memory_id: str) -> None:
    """The baseline: LanceDB's delete, which only marks rows."""
    db.table(MEMORIES).delete(f"id = {quote(memory_id)}")
    db.table(MEMORY_EVENTS).delete(f"memory_id = {quote(memory_id)}")


def _timed(fn: Callable[[], object]) -> float:
    begin = time.perf_counter()
    fn()
    return time.perf_counter() - begin


def run(size: int, repeats: int, root: Path) -> dict[str, object]:
    template = root / f"template-{size}"
    memory_ids, chat_ids = build(template, size)
    timings: dict[str, list[float]] = {
        "baseline_delete": [],
        "forget_memory": [],
        "forget_chat": [],
    }
    leftovers: dict[str, list[int]] = {"baseline_delete": [], "forget_memory": []}
    for r in range(repeats):
        work = root / f"work-{size}-{r}"
        shutil.copytree(template, work)
        db = LanceDatabase(work)
        store = LanceStore(db)
        target, chat = memory_ids[r], chat_ids[r]
        db.table(MEMORIES)  # open and migrate outside the timings

        timings["baseline_delete"].append(_timed(partial(plain_delete, db, target)))
        leftovers["baseline_delete"].append(
            len(files_containing([work], f"marker-M{target}".encode()))
        )
        other = memory_ids[r + repeats]
        timings["forget_memory"].append(_timed(partial(store.forget, [other], [])))
        leftovers["forget_memory"].append(
            len(files_containing([work], f"marker-M{other}".encode()))
        )
        timings["forget_chat"].append(_timed(partial(store.forget, [], [chat])))
        shutil.rmtree(work)
    shutil.rmtree(template)
    return {
        "messages": size,
        "memories": len(memory_ids),
        "median_s": {k: round(statistics.median(v), 4) for k, v in timings.items()},
        "runs_s": {k: [round(x, 4) for x in v] for k, v in timings.items()},
        "files_still_holding_text": leftovers,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            result = run(size, args.repeats, Path(tmp))
            results.append(result)
            med = result["median_s"]
            assert isinstance(med, dict)
            print(
                f"{size:>6} messages: plain delete {med['baseline_delete'] * 1000:7.1f} ms "
                f"(text left in files: {result['files_still_holding_text']['baseline_delete']}), "  # type: ignore[index]
                f"forget memory {med['forget_memory'] * 1000:7.1f} ms, "
                f"forget conversation {med['forget_chat'] * 1000:7.1f} ms"
            )
    write_result("bench_forget", {"repeats": args.repeats, "sizes": results})


if __name__ == "__main__":
    main()
