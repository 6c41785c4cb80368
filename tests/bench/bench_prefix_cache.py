"""The prompt-prefix cache across a long conversation, learning on.

One conversation of 30 turns on the real model, learning on, next to the same
conversation with learning off (alternating turn by turn, each with its own Llama).
Per turn: TTFT, the prompt size, the tokens llama.cpp had to evaluate (the rest came
from its prefix cache) and the size of the newest turn as sent (the user message with
its recalled notes, rendered with its turn markup: all that should need evaluating).
Target: at turn 30, evaluated tokens <= 2x the newest turn.

Run: `.venv/bin/python -m tests.bench.bench_prefix_cache [--turns 30]`.
"""

import argparse
import tempfile

from assistant.core import Assistant, TurnFinished
from assistant.embedder import load_embedder
from assistant.llm.process import ProcessBackend
from tests.bench.bench_learning_ttft import USER_TURNS, make
from tests.bench.report import write_result

REPORTED = (1, 10, 30)


def run_turn(assistant: Assistant, text: str, conversation: str | None) -> dict[str, float]:
    *_, last = assistant.send(text, conversation)
    assert isinstance(last, TurnFinished)
    # The newest turn as rendered (its turn markup included): what a perfect prefix
    # cache leaves to evaluate.
    backend = assistant.backend
    assert isinstance(backend, ProcessBackend)
    newest = len(backend.prompt_tokens([assistant.last_prompt[-1]]))
    assistant.learn(last)
    return {
        "conversation": last.conversation.id,  # type: ignore[dict-item]
        "ttft_s": round(last.usage.ttft_s, 4),
        "prompt_tokens": last.usage.prompt_tokens,
        "evaluated": last.usage.evaluated_prompt_tokens,
        "newest_turn_tokens": newest,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=30)
    args = parser.parse_args()
    embedder = load_embedder()
    turns: dict[str, list[dict[str, float]]] = {"on": [], "off": []}
    with tempfile.TemporaryDirectory() as on_home, tempfile.TemporaryDirectory() as off_home:
        on = make(on_home, "memory", embedder, None)
        off = make(off_home, "off", embedder, None)
        conversation: dict[str, str | None] = {"on": None, "off": None}
        for n in range(args.turns):
            text = USER_TURNS[n % len(USER_TURNS)]
            order = [("on", on), ("off", off)] if n % 2 == 0 else [("off", off), ("on", on)]
            for name, assistant in order:
                row = run_turn(assistant, text, conversation[name])
                conversation[name] = str(row.pop("conversation"))
                turns[name].append(row)
    last = turns["on"][-1]
    ratio = last["evaluated"] / last["newest_turn_tokens"]
    write_result(
        "bench_prefix_cache",
        {
            "turns": args.turns,
            "evaluated_over_newest_turn_at_last_turn": round(ratio, 3),
            "per_turn": turns,
        },
    )
    header = ("turn", "TTFT on", "off", "prompt", "evaluated", "newest", "eval off")
    print("".join(f"{h:>10}" for h in header))
    for n in (t for t in REPORTED if t <= args.turns):
        a, b = turns["on"][n - 1], turns["off"][n - 1]
        print(
            f"{n:>10}{a['ttft_s']:>10.3f}{b['ttft_s']:>10.3f}{a['prompt_tokens']:>10}"
            f"{a['evaluated']:>10}{a['newest_turn_tokens']:>10}{b['evaluated']:>10}"
        )
    print(f"turn {args.turns}: evaluated / newest turn = {ratio:.2f} (target <= 2)")


if __name__ == "__main__":
    main()
