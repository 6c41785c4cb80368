"""Retrieval quality on LoCoMo (dev split): evidence recall@k against two baselines.

Each conversation family ("source") is imported into its own fresh store through
`Assistant.import_history`, then every question of categories 1-4 is asked through
`Assistant.recall`. In the same run, on the same messages, two baselines answer the
same questions: plain dense MiniLM over the raw message text, and BM25. Evidence
recall@k is the share of a question's evidence messages found in the top k, averaged.

Run: `.venv/bin/python -m tests.bench.bench_locomo [--limit N]`.
"""

import argparse
import json
import os
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from assistant.compose import build_assistant, load_environment
from assistant.embedder import load_embedder
from tests.bench.bm25 import BM25
from tests.bench.report import DATA, write_result

KS = (1, 5, 10, 20)
CATEGORIES = (1, 2, 3, 4)


def evidence_recall(ranked: list[str], evidence: list[str], k: int) -> float:
    top = set(ranked[:k])
    return sum(1 for e in evidence if e in top) / len(evidence)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=0, help="questions per source (0: all)")
    args = parser.parse_args()
    chats = [json.loads(line) for line in (DATA / "chats.jsonl").read_text().splitlines()]
    questions = [json.loads(line) for line in (DATA / "questions.jsonl").read_text().splitlines()]
    embedder = load_embedder()
    systems = ("assistant", "dense", "bm25")
    scores: dict[str, dict[int, dict[int, list[float]]]] = {
        s: defaultdict(lambda: defaultdict(list)) for s in systems
    }
    timings: dict[str, list[float]] = defaultdict(list)
    sources = sorted({q["source"] for q in questions})
    for source in sources:
        family = source.removeprefix("locomo-")
        rows = [r for r in chats if r["conversation_id"].startswith(f"locomo-{family}-")]
        asked = [
            q
            for q in questions
            if q["source"] == source and q["category"] in CATEGORIES and q["evidence"]
        ]
        if args.limit:
            asked = asked[: args.limit]
        with tempfile.TemporaryDirectory() as home:
            os.environ["ASSISTANT_HOME"] = home
            assistant = build_assistant(load_environment(), embedder=embedder)
            history = Path(home) / "history.jsonl"
            history.write_text("\n".join(json.dumps(r) for r in rows))
            started = time.perf_counter()
            assistant.import_history(history)
            timings["import_s"].append(time.perf_counter() - started)
            ids = [r["id"] for r in rows]
            raw = [r["content"] for r in rows]
            dense_matrix = np.array(embedder.embed(raw), dtype=np.float32)
            bm25 = BM25(raw)
            for q in asked:
                started = time.perf_counter()
                hits = assistant.recall(q["question"], max(KS))
                timings["recall_ms"].append((time.perf_counter() - started) * 1000)
                ranked = {
                    "assistant": [h.id for h in hits],
                    "dense": [
                        ids[i]
                        for i in np.argsort(
                            -dense_matrix @ np.array(embedder.embed([q["question"]])[0])
                        )[: max(KS)]
                    ],
                    "bm25": [ids[i] for i, _ in bm25.top(q["question"], max(KS))],
                }
                for system in systems:
                    for k in KS:
                        scores[system][q["category"]][k].append(
                            evidence_recall(ranked[system], q["evidence"], k)
                        )
        print(f"{source}: {len(rows)} messages, {len(asked)} questions")
    summary = {
        system: {
            "overall": {
                f"recall@{k}": round(
                    statistics.mean(v for c in CATEGORIES for v in scores[system][c][k]), 4
                )
                for k in KS
            },
            "by_category": {
                str(c): {f"recall@{k}": round(statistics.mean(scores[system][c][k]), 4) for k in KS}
                for c in CATEGORIES
                if scores[system][c][KS[0]]
            },
        }
        for system in systems
    }
    best_baseline = max(summary[s]["overall"]["recall@10"] for s in ("dense", "bm25"))
    result = {
        "benchmark": "locomo_recall",
        "questions": sum(len(scores["assistant"][c][1]) for c in CATEGORIES),
        "systems": summary,
        "recall@10_margin_over_best_baseline": round(
            summary["assistant"]["overall"]["recall@10"] - best_baseline, 4
        ),
        "recall_ms_p50": round(statistics.median(timings["recall_ms"]), 2),
        "recall_ms_p95": round(float(np.percentile(timings["recall_ms"], 95)), 2),
        "import_s_per_source": [round(t, 2) for t in timings["import_s"]],
    }
    write_result("locomo_recall", result)
    print(f"\n{'system':10} " + " ".join(f"{'R@' + str(k):>7}" for k in KS))
    for system in systems:
        overall = summary[system]["overall"]
        print(f"{system:10} " + " ".join(f"{overall[f'recall@{k}']:7.3f}" for k in KS))
    margin = result["recall@10_margin_over_best_baseline"]
    print(f"recall@10 margin over the best baseline: {margin:+.3f}")


if __name__ == "__main__":
    main()
