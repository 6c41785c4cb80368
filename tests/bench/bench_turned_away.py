"""Does an answer the user turned away come back? Recall after regenerate and thumbs down.

A scripted user asks the N questions of bench_corrections, each in its own new
conversation, on the real model with learning on. Every other reply is regenerated, the
rest are voted down. Later, in new conversations, the user asks each question's
paraphrase (shuffled). For each probe: was the turned-away reply among the past messages
recalled into the prompt (as "[earlier conversation]"), and, for a regenerated one, was
its replacement? A turned-away reply in the prompt feeds the answer the user rejected
back to the model as if it were known.

Target: no turned-away reply recalled.

Run: `.venv/bin/python -m tests.bench.bench_turned_away [--n N]`.
"""

import random
import statistics
import tempfile
import time
from typing import Any

from assistant.core import TurnFinished
from assistant.embedder import load_embedder
from tests.bench.bench_corrections import SHUFFLE_SEED, chosen_facts, make, turn
from tests.bench.report import write_result


def main() -> None:
    facts = chosen_facts()
    wall = time.perf_counter()
    embedder = load_embedder()
    with tempfile.TemporaryDirectory() as home:
        assistant = make(home, "feedback", embedder)
        rejected: list[str] = []
        replacements: list[str | None] = []
        for index, fact in enumerate(facts):
            asked, _ = turn(assistant, fact.question, None)
            assistant.learn(asked)
            rejected.append(asked.reply.id)
            if index % 2 == 0:
                *_, again = assistant.regenerate(asked.conversation.id)
                assert isinstance(again, TurnFinished)
                assistant.learn(again)
                replacements.append(again.reply.id)
            else:
                assistant.feedback(asked.reply.id, "down", "wrong")
                replacements.append(None)
        order = list(range(len(facts)))
        random.Random(SHUFFLE_SEED).shuffle(order)
        probes: list[dict[str, Any]] = []
        for index in order:
            finished, _ = turn(assistant, facts[index].probe, None)
            assistant.learn(finished)
            recalled = {h.id for h in finished.context.messages}
            probes.append(
                {
                    "probe": facts[index].probe,
                    "how": "regenerated" if replacements[index] else "voted down",
                    "turned_away_recalled": rejected[index] in recalled,
                    "any_turned_away_recalled": bool(recalled & set(rejected)),
                    "replacement_recalled": replacements[index] in recalled
                    if replacements[index]
                    else None,
                    "messages_recalled": len(recalled),
                }
            )
    regenerated = [p for p in probes if p["how"] == "regenerated"]
    summary = {
        "probes": len(probes),
        "own_turned_away_reply_recalled": sum(p["turned_away_recalled"] for p in probes),
        "any_turned_away_reply_recalled": sum(p["any_turned_away_recalled"] for p in probes),
        "replacement_recalled": sum(bool(p["replacement_recalled"]) for p in regenerated),
        "regenerated_probes": len(regenerated),
        "messages_recalled_median": statistics.median(p["messages_recalled"] for p in probes),
    }
    write_result(
        "turned_away",
        {
            "benchmark": "turned_away",
            **summary,
            "target": {"any_turned_away_reply_recalled": 0},
            "wall_s": round(time.perf_counter() - wall, 1),
            "probes_detail": probes,
        },
    )
    print(
        f"\n{summary['probes']} probes: the probe's own turned-away reply recalled in "
        f"{summary['own_turned_away_reply_recalled']}, any turned-away reply in "
        f"{summary['any_turned_away_reply_recalled']}; a regenerated reply's replacement "
        f"recalled in {summary['replacement_recalled']} of {summary['regenerated_probes']}; "
        f"median {summary['messages_recalled_median']} past messages recalled"
    )


if __name__ == "__main__":
    main()
