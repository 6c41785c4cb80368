"""Learning never blocks: the next turn's TTFT while the last turn's learning still runs.

One assistant (learning on, the real model and embedder) answers a burst of turns
that each teach something. Turns alternate between two modes in one run:
- settled (baseline): the previous turn's learning finished before this turn starts;
- busy: the previous turn's learning runs in a background thread (as the TUI runs it)
  while this turn is sent at once.
Target: median TTFT busy within 10% of settled.

Run: `.venv/bin/python -m tests.bench.bench_learning_blocking [--turns 24]`.
"""

import argparse
import os
import statistics
import tempfile
import threading
import time

from assistant.compose import build_assistant, load_environment
from assistant.core import Assistant, TurnFinished
from tests.bench.report import write_result

TEACHING = [
    "I'm vegetarian and I live in Lisbon.",
    "My sister's name is Ana and she lives in Porto.",
    "I work as a nurse on night shifts.",
    "I prefer short answers without emoji.",
    "I have two cats called Miso and Tofu.",
    "I'm allergic to peanuts.",
    "I moved to Berlin last month.",
    "I play the cello on weekends.",
]


def ask(assistant: Assistant, text: str, conversation: str | None) -> TurnFinished:
    *_, last = assistant.send(text, conversation)
    assert isinstance(last, TurnFinished)
    return last


def learn(assistant: Assistant, turn: TurnFinished, finished: list[float]) -> None:
    assistant.learn(turn)
    finished.append(time.perf_counter())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=24)
    args = parser.parse_args()
    ttft: dict[str, list[float]] = {"settled": [], "busy": []}
    overlapped = 0
    with tempfile.TemporaryDirectory() as home:
        os.environ["ASSISTANT_HOME"] = home
        env = load_environment(learning="memory", max_tokens=8, temperature=0.0, seed=1)
        assistant = build_assistant(env)
        assistant.load(embedder=True)
        conversation = None
        previous: TurnFinished | None = None
        for n in range(args.turns):
            mode = "busy" if n % 2 else "settled"
            learner = None
            learned_at: list[float] = []
            if previous is not None:
                learner = threading.Thread(target=learn, args=(assistant, previous, learned_at))
                learner.start()
                if mode == "settled":
                    learner.join()
            text = TEACHING[n % len(TEACHING)].replace(".", f" (note {n}).")
            started = time.perf_counter()
            turn = ask(assistant, text, conversation)
            if learner is not None:
                learner.join()
                overlapped += mode == "busy" and learned_at[0] > started
            conversation = turn.conversation.id
            if n >= 2:  # the first turns load caches
                ttft[mode].append(turn.usage.ttft_s)
            previous = turn
    settled, busy = statistics.median(ttft["settled"]), statistics.median(ttft["busy"])
    result = {
        "turns": args.turns,
        "median_ttft_s": {"settled": round(settled, 4), "busy": round(busy, 4)},
        "ratio_busy_over_settled": round(busy / settled, 3),
        "busy_turns_that_overlapped_learning": overlapped,
        "runs": {k: [round(x, 4) for x in v] for k, v in ttft.items()},
    }
    write_result("bench_learning_blocking", result)
    print(f"{'mode':10}{'median TTFT':>12}")
    print(f"{'settled':10}{settled:12.4f}")
    print(f"{'busy':10}{busy:12.4f}   ratio {busy / settled:.3f} (target <= 1.10)")


if __name__ == "__main__":
    main()
