"""Several processes writing one home at once, as users do: nothing refused, nothing lost.

Two shells each run `assistant memory add` ADDS times in a row (every 10th also
forgets the fact it just added, a real erase), while a third process runs TURNS
`assistant chat` turns with learning, all against one fresh home. Reported: refused
commands, acknowledged memories missing from the store, whether the store opens
without repair, byte hits of forgotten texts, `memory add` throughput and latency, and
the waits for the store's write lock that the processes logged (only waits that had to
retry are logged; an uncontended write waits about nothing).

    python -m tests.bench.bench_shared_store [--adds 200] [--turns 20]
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from tests.bench.report import write_result
from tests.cli_helpers import EXE
from tests.erasure import traces

CHAT_LINES = [
    "I'm vegetarian and I prefer short answers.",
    "My sister Ana lives in Porto.",
    "We adopted a puppy called Pixie last week.",
    "I play the cello on Sundays.",
]


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EXE, *args], capture_output=True, text=True, env=env, timeout=600, check=False
    )


def _shell(tag: str, adds: int, env: dict[str, str], out: dict[str, object]) -> None:
    acked, forgotten, refused, latencies = [], [], [], []
    for i in range(adds):
        text = f"{tag} shell fact number {i} about its {tag} hobby"
        start = time.perf_counter()
        added = _run(["memory", "add", text], env)
        latencies.append(time.perf_counter() - start)
        if added.returncode:
            refused.append(added.stderr.strip())
            continue
        memory_id = added.stdout.split()[-1]
        if i % 10 == 9:
            gone = _run(["memory", "forget", memory_id, "--yes"], env)
            if gone.returncode:
                refused.append(gone.stderr.strip())
                acked.append(memory_id)
            else:
                forgotten.append((memory_id, text))
        else:
            acked.append(memory_id)
    out.update(acked=acked, forgotten=forgotten, refused=refused, latencies=latencies)


def _chatter(turns: int, env: dict[str, str], out: dict[str, object]) -> None:
    learned, refused, conversation = [], [], ""
    for i in range(turns):
        args = ["chat", "--json", CHAT_LINES[i % len(CHAT_LINES)]]
        if conversation:
            args += ["--conversation", conversation]
        result = _run(args, env | {"ASSISTANT_LEARNING": "full"})
        if result.returncode:
            refused.append(result.stderr.strip())
            continue
        reply = json.loads(result.stdout)
        conversation = reply["conversation_id"]
        learned += [m["id"] for m in reply["learned"]]
    out.update(learned=learned, refused=refused)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--adds", type=int, default=200)
    parser.add_argument("--turns", type=int, default=20)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-shared-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env |= {"ASSISTANT_HOME": str(home), "ASSISTANT_MAX_TOKENS": "48", "ASSISTANT_TEMPERATURE": "0"}
    assert _run(["memory", "add", "The home exists before the shells start"], env).returncode == 0

    results: dict[str, dict[str, object]] = {"kayak": {}, "violin": {}, "chat": {}}
    workers = [
        threading.Thread(target=_shell, args=("kayak", args.adds, env, results["kayak"])),
        threading.Thread(target=_shell, args=("violin", args.adds, env, results["violin"])),
        threading.Thread(target=_chatter, args=(args.turns, env, results["chat"])),
    ]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - start

    listed = _run(["memory", "list", "--all", "--json"], env)
    opened_cleanly = listed.returncode == 0 and "repair" not in listed.stderr.lower()
    stored = {m["id"] for m in json.loads(listed.stdout)} if listed.returncode == 0 else set()
    shells = [results["kayak"], results["violin"]]
    acked = [i for s in shells for i in s["acked"]]
    forgotten = [f for s in shells for f in s["forgotten"]]
    learned = results["chat"]["learned"]
    refused = [r for part in results.values() for r in part["refused"]]
    lost = [i for i in [*acked, *learned] if i not in stored]
    byte_hits = sum(len(traces([home], text)) for _, text in forgotten)
    latencies = sorted(x for s in shells for x in s["latencies"])
    log_text = (home / "data" / "assistant.log").read_text(errors="replace")
    waits = sorted(float(w) for w in re.findall(r"waited ([\d.]+) ms for the store", log_text))
    adds = len(latencies)

    def pct(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0

    result = {
        "adds_per_shell": args.adds,
        "chat_turns": args.turns,
        "refused": len(refused),
        "refused_examples": refused[:3],
        "acknowledged": len(acked) + len(learned),
        "lost": len(lost),
        "store_opens_cleanly": opened_cleanly,
        "forgotten": len(forgotten),
        "forgotten_byte_hits": byte_hits,
        "wall_s": round(wall, 1),
        "memory_add_per_s": round(adds / wall, 2),
        "memory_add_latency_s": {
            "p50": round(statistics.median(latencies), 2),
            "p95": round(pct(latencies, 0.95), 2),
        },
        "lock_waits_logged": len(waits),
        "lock_wait_ms": {
            "p50": round(pct(waits, 0.5), 1),
            "p95": round(pct(waits, 0.95), 1),
            "max": round(waits[-1], 1) if waits else 0.0,
        },
    }
    write_result("bench_shared_store", result)
    print(
        f"{args.adds} adds x 2 shells + {args.turns} chat turns in {wall:.0f} s: "
        f"refused {len(refused)}, lost {len(lost)}, opens cleanly {opened_cleanly}, "
        f"forgotten byte hits {byte_hits}\n"
        f"memory add: {result['memory_add_per_s']}/s, latency p50 "
        f"{result['memory_add_latency_s']['p50']} s p95 {result['memory_add_latency_s']['p95']} s"
        f"\nlock waits logged {len(waits)}: p50 {result['lock_wait_ms']['p50']} ms, "
        f"p95 {result['lock_wait_ms']['p95']} ms, max {result['lock_wait_ms']['max']} ms"
    )


if __name__ == "__main__":
    main()
