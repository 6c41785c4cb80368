"""The embedder's two forward passes side by side, in one run: ONNX Runtime over the
exported graph (what the app uses once `make setup` built it) and sentence-transformers
on PyTorch (the fallback, and the path before stop 35).

- ms to embed 1 and 3 short sentences (a chat query; a turn's sentences for the salience
  scorer), the two paths alternating call by call so machine noise hits both alike;
- texts per second over 500 messages of mixed length (import, re-embedding);
- seconds for a fresh process to load each (what every embedding CLI command pays);
- the largest gap between their vectors (the graph is kept only under 1e-5).

Run: `.venv/bin/python -m tests.bench.bench_embedder [--rounds N]`.
"""

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np

from assistant.embedder import graph_paths, load_sentence_transformer, packaged_model_dir
from assistant.onnx_encoder import OnnxEncoder
from tests.bench.report import write_result

ONE = ["The user adopted a puppy named Pixie in April 2023."]
THREE = [
    *ONE,
    "The user is training for a marathon next spring with their sister.",
    "The user loves painting sunsets.",
]
LOADS = {
    "onnxruntime": "from assistant.embedder import load_embedder; load_embedder()",
    "sentence-transformers": (
        "from assistant.embedder import load_sentence_transformer, packaged_model_dir; "
        "load_sentence_transformer(packaged_model_dir())"
    ),
}


def timed(encode: Callable[[list[str]], np.ndarray], texts: list[str]) -> float:
    started = time.perf_counter()
    encode(texts)
    return (time.perf_counter() - started) * 1000


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), 2),
        "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    graph = next((path for path in graph_paths() if path.is_file()), None)
    if graph is None:
        raise SystemExit("no exported graph: run `make setup` (python -m assistant.embedder)")
    model_dir = packaged_model_dir()
    model = load_sentence_transformer(model_dir)
    onnx = OnnxEncoder(graph, model_dir)

    def torch_encode(texts: list[str]) -> np.ndarray:
        return np.asarray(
            model.encode(
                texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
        )

    paths: dict[str, Callable[[list[str]], np.ndarray]] = {
        "onnxruntime": onnx.encode,
        "sentence-transformers": torch_encode,
    }
    messages = [
        f"message {i}: " + "we talked about the garden and the dog " * (i % 12) for i in range(500)
    ]
    gap = max(
        float(np.abs(onnx.encode(texts) - torch_encode(texts)).max()) for texts in (THREE, messages)
    )
    results: dict[str, dict[str, object]] = {}
    for texts, label in ((ONE, "one_sentence_ms"), (THREE, "three_sentences_ms")):
        samples: dict[str, list[float]] = {name: [] for name in paths}
        for encode in paths.values():
            encode(texts)  # warm up
        for _ in range(args.rounds):
            for name, encode in paths.items():
                samples[name].append(timed(encode, texts))
        for name in paths:
            results.setdefault(name, {})[label] = summary(samples[name])
    for name, encode in paths.items():
        seconds = timed(encode, messages) / 1000
        results[name]["bulk_texts_per_s"] = round(len(messages) / seconds, 1)
    loads: dict[str, list[float]] = {name: [] for name in LOADS}
    for _ in range(3):
        for name, code in LOADS.items():
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
            loads[name].append(time.perf_counter() - started)
    for name in LOADS:
        results[name]["fresh_process_load_s_median"] = round(statistics.median(loads[name]), 2)
    ratios = {
        label: round(
            results["sentence-transformers"][label]["median"]  # type: ignore[index]
            / results["onnxruntime"][label]["median"],  # type: ignore[index]
            2,
        )
        for label in ("one_sentence_ms", "three_sentences_ms")
    }
    write_result(
        "embedder",
        {
            "benchmark": "embedder",
            "rounds": args.rounds,
            "max_vector_gap": gap,
            "paths": results,
            "speedup_median": ratios,
        },
    )
    print(f"largest vector gap between the paths: {gap:.1e}")
    for name, figures in results.items():
        print(f"{name:22} {figures}")
    print(f"speed-up of onnxruntime (median ratio): {ratios}")


if __name__ == "__main__":
    main()
