"""Bare llama-cpp-python in a process of its own: the baseline of bench_streaming.

A user's own script runs the model in a small process; the app's model runs in a child
process of that kind. Run as `python -m tests.bench.bare_llama MODEL`: each line
`MAX_TOKENS` on stdin streams one greedy reply to the benchmark's prompt, and the
answer line is `TOKENS_PER_S TOKENS`.
"""

import sys
import time
from typing import Any

PROMPT = "Write a short story about a lighthouse keeper and a storm."


def bare_round(llm: Any, max_tokens: int) -> tuple[float, int]:
    """Tokens per second from the first streamed chunk to the last, and the tokens."""
    first = last = 0.0
    tokens = 0
    for chunk in llm.create_chat_completion(
        [{"role": "user", "content": PROMPT}],
        stream=True,
        max_tokens=max_tokens,
        temperature=0.0,
        seed=1,
    ):
        if chunk["choices"][0]["delta"].get("content"):
            tokens += 1
            last = time.perf_counter()
            first = first or last
    return tokens / (last - first), tokens


def load(model: str) -> Any:
    """The model as a user's script loads it: the app's thread count and 2k context."""
    import llama_cpp

    from assistant.llm.llama import cpu_extra_buffers_guard, default_threads

    with cpu_extra_buffers_guard():  # as the app loads it: see that function
        return llama_cpp.Llama(
            model_path=model,
            n_ctx=2048,
            n_threads=default_threads(),
            verbose=False,
        )


def main() -> None:
    llm = load(sys.argv[1])
    print("ready", flush=True)
    for line in sys.stdin:
        tps, tokens = bare_round(llm, int(line))
        print(tps, tokens, flush=True)


if __name__ == "__main__":
    main()
