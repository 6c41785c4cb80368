"""What LoRA training costs on this machine: tokens per second and peak memory.

The embedded Gemma 3 270M GGUF is dequantized into transformers once (timed), then
LoRA (rank 8, attention and MLP projections) trains for `--steps` steps on chat rows
of a realistic length (system prompt, question, a few-sentence answer), once per
thread count in `--threads`. Last, one whole `assistant train` run (prepare, train,
write, evaluate in llama.cpp) is timed on the same rows. Peak RSS is the process's
high-water mark, which the model load sets.

Run: `.venv/bin/python -m tests.bench.bench_train [--steps 20] [--threads 1,2]`.
"""

import argparse
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from assistant.compose import Environment
from assistant.core.settings import Settings
from assistant.llm.default_model import default_model_copy
from assistant.llm.gguf import read_gguf
from assistant.system.offline import enforce_offline
from assistant.system.paths import resolve_paths
from assistant.weights.train.base import load_base
from assistant.weights.train.dataset import load_export
from assistant.weights.train.examples import LlamaVocab, tokenize_rows
from assistant.weights.train.lora import train_lora
from assistant.weights.train.options import LoraOptions
from assistant.weights.train.run import TrainRequest, run_training
from tests.bench.report import write_result
from tests.train_fixtures import FACTS, sft_row, write_export

SENTENCES = [
    "The service runs in the Frankfurt region and fails over to Dublin.",
    "Deployments happen on Tuesdays and Thursdays after the 10:00 stand-up.",
    "Alerts go to the on-call rotation first and to the team channel after five minutes.",
    "Backups are taken every six hours and kept for thirty days.",
    "The staging database is refreshed from production every Sunday night.",
    "Access requests need a ticket and the approval of a team lead.",
]


def rows(n: int) -> list[dict[str, object]]:
    """Chat rows with answers of one to six sentences (roughly 50 to 180 tokens each)."""
    out = []
    for i in range(n):
        question, answer = FACTS[i % len(FACTS)]
        extra = " ".join(SENTENCES[: 1 + i % len(SENTENCES)])
        out.append(sft_row(f"{question} Please add the context.", f"{answer} {extra}"))
    return out


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--rows", type=int, default=12)
    args = parser.parse_args()
    enforce_offline()
    result: dict[str, Any] = {"steps": args.steps, "rows": args.rows, "rank": 8}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model = default_model_copy(root / "cache")
        info = read_gguf(model)
        started = time.perf_counter()
        base = load_base(info)
        result["load_s"] = round(time.perf_counter() - started, 1)
        result["rss_after_load_mb"] = round(peak_rss_mb())
        print(f"loaded {info.name} into transformers in {result['load_s']}s")

        env = Environment(resolve_paths(str(root / "home")), Settings(model=str(model)))
        folder = env.paths.data / "exports" / "dataset-0001"
        data = rows(args.rows)
        write_export(folder, data, held_out=[len(data) - 1])
        vocab = LlamaVocab(info, "")
        examples, _ = tokenize_rows(load_export(folder).train, vocab)
        vocab.close()
        lengths = sorted(len(e.ids) for e in examples)
        result["example_tokens"] = {"min": lengths[0], "max": lengths[-1]}

        runs = []
        for threads in (int(t) for t in args.threads.split(",")):
            options = LoraOptions(steps=args.steps, threads=threads)
            _, stats = train_lora(base, examples, options)
            runs.append(
                {**stats.as_dict(), "seconds_per_step": round(stats.seconds / stats.steps, 2)}
            )
            print(
                f"{threads} thread(s): {stats.tokens_per_s:.0f} tok/s "
                f"({stats.seconds / stats.steps:.2f} s/step, {stats.tokens} tokens)"
            )
        result["training"] = runs

        started = time.perf_counter()
        trained = run_training(env, TrainRequest(options=LoraOptions(steps=args.steps)), base=base)
        total = time.perf_counter() - started
        result["pipeline"] = {
            "seconds": round(total, 1),
            "training_s": round(trained.stats.seconds, 1),
            "evaluation_and_rest_s": round(total - trained.stats.seconds, 1),
            "adapter_mb": round(trained.adapter.gguf.stat().st_size / 2**20, 1),
        }
        result["peak_rss_mb"] = round(peak_rss_mb())
        print(
            f"whole run (preloaded model): {total:.0f}s, of which training "
            f"{trained.stats.seconds:.0f}s; adapter {result['pipeline']['adapter_mb']} MB; "
            f"peak RSS {result['peak_rss_mb']} MB"
        )
    write_result("bench_train", result)


if __name__ == "__main__":
    main()
