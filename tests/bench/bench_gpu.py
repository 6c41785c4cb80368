"""Generation speed with every layer on the GPU against the CPU alone, same model.

The app offloads every layer when the llama.cpp build can (`gpu_layers = -1`, the
default). This benchmark loads the model twice, `n_gpu_layers=0` and `-1`, and
alternates greedy generations of bench_streaming's prompt, timed as its bare baseline,
reporting tokens/s and the ratio. On a build without GPU offload it measures the CPU and
records why there is no GPU figure, so `make bench` still writes its JSON.

Run: `.venv/bin/python -m tests.bench.bench_gpu [--rounds 5] [--max-tokens 128] [--model GGUF]`.
"""

import argparse
import statistics
from typing import Any

from assistant.compose import load_environment
from assistant.llm.default_model import default_model_copy
from assistant.llm.llama import cpu_extra_buffers_guard, default_threads, gpu_offload_supported
from tests.bench.bare_llama import bare_round
from tests.bench.report import write_result


def load(model: str, gpu_layers: int) -> Any:
    import llama_cpp

    with cpu_extra_buffers_guard():
        return llama_cpp.Llama(
            model_path=model,
            n_ctx=2048,
            n_threads=default_threads(),
            n_gpu_layers=gpu_layers,
            verbose=False,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--model", default="")
    args = parser.parse_args()
    model = args.model or str(default_model_copy(load_environment().paths.cache))
    variants = {"cpu": load(model, 0)}
    supported = gpu_offload_supported()
    if supported:
        variants["gpu"] = load(model, -1)
    runs: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, llm in variants.items():
            runs[name].append(bare_round(llm, args.max_tokens)[0])
    medians = {name: round(statistics.median(v), 2) for name, v in runs.items()}
    result: dict[str, Any] = {
        "model": model.rsplit("/", 1)[-1],
        "rounds": args.rounds,
        "max_tokens": args.max_tokens,
        "gpu_offload_supported": supported,
        "median_tokens_per_s": medians,
        "runs": {name: [round(x, 2) for x in v] for name, v in runs.items()},
    }
    if supported:
        result["ratio_gpu_over_cpu"] = round(medians["gpu"] / medians["cpu"], 2)
    else:
        result["gpu_note"] = "this llama-cpp-python build has no GPU offload: CPU only"
    write_result("bench_gpu", result)
    print(f"{'':6}{'tok/s':>8}")
    for name, value in medians.items():
        print(f"{name:6}{value:8.1f}")
    if supported:
        print(f"GPU / CPU: {result['ratio_gpu_over_cpu']}x")
    else:
        print(result["gpu_note"])


if __name__ == "__main__":
    main()
