"""Learning never blocks: the next turn's TTFT while the last turn's learning still runs.

Two assistants (learning on, the real model and embedder, each its own Llama and home)
answer the same burst of turns that each teach something, alternating turn by turn:
- settled (baseline): each turn starts after the previous turn's learning finished;
- busy: the previous turn's learning runs in a background thread (as the TUI runs it)
  while the next turn is sent at once.
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
    with tempfile.TemporaryDirectory() as settled_home, tempfile.TemporaryDirectory() as busy_home:
        assistants = {}
        for mode, home in (("settled", settled_home), ("busy", busy_home)):
            os.environ["ASSISTANT_HOME"] = home
            env = load_environment(learning="memory", max_tokens=8, temperature=0.0, seed=1)
            assistants[mode] = build_assistant(env)
            assistants[mode].load(embedder=True)
        conversation: dict[str, str | None] = {"settled": None, "busy": None}
        previous: dict[str, TurnFinished | None] = {"settled": None, "busy": None}
        for n in range(args.turns):
            text = TEACHING[n % len(TEACHING)].replace(".", f" (note {n}).")
            order = ("settled", "busy") if n % 2 == 0 else ("busy", "settled")
            for mode in order:
                assistant, last = assistants[mode], previous[mode]
                learner = None
                learned_at: list[float] = []
                if last is not None:
                    learner = threading.Thread(target=learn, args=(assistant, last, learned_at))
                    learner.start()
                    if mode == "settled":
                        learner.join()
                started = time.perf_counter()
                turn = ask(assistant, text, conversation[mode])
                if learner is not None:
                    learner.join()
                conversation[mode] = turn.conversation.id
                if n >= 2:  # the first turns warm caches
                    ttft[mode].append(turn.usage.ttft_s)
                    overlapped += bool(learned_at) and mode == "busy" and learned_at[0] > started
                previous[mode] = turn
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
