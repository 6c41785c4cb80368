"""`make bench`: run every benchmark in turn; each writes tests/bench/results/NAME.json."""

import subprocess
import sys

BENCHMARKS = [
    "bench_recall_latency",
    "bench_learning_ttft",
    "bench_locomo",
    "bench_extraction",
    "bench_embedder",
    "bench_corrections",
    "bench_turned_away",
    "bench_forget",
    "bench_train",
    "bench_footprint",
    "bench_startup",
    "bench_streaming",
    "bench_learning_blocking",
    "bench_prefix_cache",
    "bench_docs",
    "bench_store_open",
    "bench_gpu",
    "bench_shared_store",
]


def main() -> int:
    failed = []
    for name in BENCHMARKS:
        print(f"\n=== {name} ===", flush=True)
        if subprocess.run([sys.executable, "-m", f"tests.bench.{name}"], check=False).returncode:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
