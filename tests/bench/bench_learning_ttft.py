"""What learning costs a turn: TTFT with learning on vs off, and extraction time.

Three assistants on the same real model (Gemma 3 270M) and the same scripted user turns
run one conversation of 20 turns each, in an order that rotates turn by turn so machine
noise hits all alike; the whole run is repeated on fresh homes and medians are taken.
The "on" assistant recalls before every turn and learns after it (off the critical
path: its learning is finished before the next turn is timed), as `assistant chat`
does; "typed" is the same, with the draft's query embedded before the turn is timed,
as the TUI does when the user pauses typing (`Assistant.prefetch`); the "off"
assistant has learning off. Reported: TTFT at turn 20 (median of the repeats) and the
median over turns 10-20 of all repeats, with the ratios. Also the rule-extraction time
per turn, and the LLM-extraction time per turn.

Run: `.venv/bin/python -m tests.bench.bench_learning_ttft`.
"""

import os
import statistics
import tempfile
import time

from assistant.compose import build_assistant, load_environment
from assistant.core import LLM_EXTRACTION_TOKENS, Assistant, ReplyDelta, TurnFinished
from assistant.core.learning.extract import extract_rules
from assistant.core.learning.llm_extract import SCHEMA, extraction_messages
from assistant.embedder import load_embedder
from tests.bench.report import write_result

TURNS = 20
LLM_SAMPLES = 5
REPEATS = 3
MAX_TOKENS = 8
USER_TURNS = [
    "I'm vegetarian and I live in Lisbon.",
    "I prefer short answers.",
    "What should I cook tonight?",
    "My sister's name is Ana.",
    "Can you suggest a weekend trip?",
    "I work as a nurse.",
    "What's a good book for a long flight?",
    "I moved to Berlin.",
    "Any tips for learning German?",
    "I have two cats.",
] * 2


def make(home: str, learning: str, embedder: object, backend: object) -> Assistant:
    os.environ["ASSISTANT_HOME"] = home
    env = load_environment(learning=learning, max_tokens=MAX_TOKENS, temperature=0.0, seed=1)
    assistant = build_assistant(env, backend, embedder)  # type: ignore[arg-type]
    assistant.load(embedder=learning != "off")
    return assistant


def one_run(embedder: object) -> tuple[dict[str, list[float]], dict[str, list[int]], Assistant]:
    """One 20-turn conversation per assistant, on fresh homes, in rotating order."""
    with (
        tempfile.TemporaryDirectory() as on_home,
        tempfile.TemporaryDirectory() as typed_home,
        tempfile.TemporaryDirectory() as off_home,
    ):
        # Each has its own Llama, so each keeps its own prompt-prefix cache.
        assistants = {
            "on": make(on_home, "memory", embedder, None),
            "typed": make(typed_home, "memory", embedder, None),
            "off": make(off_home, "off", embedder, None),
        }
        ttft: dict[str, list[float]] = {name: [] for name in assistants}
        evaluated: dict[str, list[int]] = {name: [] for name in assistants}
        conversations: dict[str, str | None] = dict.fromkeys(assistants)
        names = list(assistants)
        for index in range(TURNS):
            for name in names[index % 3 :] + names[: index % 3]:
                assistant = assistants[name]
                if name == "typed":  # the TUI embeds the draft while the user pauses
                    draft = assistant.prefetch(USER_TURNS[index])
                    assert draft is not None
                    draft.result()
                started = time.perf_counter()
                events = assistant.send(USER_TURNS[index], conversations[name])
                first_token = None
                last = None
                for event in events:
                    if first_token is None and isinstance(event, ReplyDelta):
                        first_token = time.perf_counter() - started
                    last = event
                assert isinstance(last, TurnFinished)
                ttft[name].append(first_token or last.usage.ttft_s)
                evaluated[name].append(last.usage.evaluated_prompt_tokens)
                conversations[name] = last.conversation.id
                assistant.learn(last)  # off the timed path, as in the TUI
        for name in ("typed", "off"):
            assistants[name].backend.close()
    return ttft, evaluated, assistants["on"]


def main() -> None:
    embedder = load_embedder()
    runs = [one_run(embedder) for _ in range(REPEATS)]
    on = runs[-1][2]
    late = slice(9, TURNS)
    names = ("on", "typed", "off")
    turn20 = {k: statistics.median(r[0][k][-1] for r in runs) for k in names}
    pooled = {k: statistics.median(x for r in runs for x in r[0][k][late]) for k in names}
    ttft, evaluated = runs[-1][0], runs[-1][1]
    extract_ms = []
    for text in USER_TURNS:
        started = time.perf_counter()
        extract_rules(text)
        extract_ms.append((time.perf_counter() - started) * 1000)
    llm_ms = []
    for text in USER_TURNS[:LLM_SAMPLES]:
        started = time.perf_counter()
        on.backend.generate_json(extraction_messages(text), SCHEMA, LLM_EXTRACTION_TOKENS)
        llm_ms.append((time.perf_counter() - started) * 1000)
    result = {
        "benchmark": "learning_ttft",
        "model": on.backend.name,
        "turns": TURNS,
        "repeats": REPEATS,
        "ttft_s_turn20_median_of_repeats": {k: round(v, 4) for k, v in turn20.items()},
        "ttft_s_median_turns_10_20": {k: round(v, 4) for k, v in pooled.items()},
        "ratio_on_off_median_turns_10_20": round(pooled["on"] / pooled["off"], 3),
        "ratio_on_off_turn20": round(turn20["on"] / turn20["off"], 3),
        "ratio_typed_off_median_turns_10_20": round(pooled["typed"] / pooled["off"], 3),
        "ratio_typed_off_turn20": round(turn20["typed"] / turn20["off"], 3),
        "evaluated_prompt_tokens_turn20": {k: v[-1] for k, v in evaluated.items()},
        "ttft_s_per_turn": {k: [round(x, 4) for x in v] for k, v in ttft.items()},
        "evaluated_prompt_tokens_per_turn": evaluated,
        "rule_extraction_ms_per_turn_p50": round(statistics.median(extract_ms), 4),
        "llm_extraction_ms_per_turn_p50": round(statistics.median(llm_ms), 1),
        "llm_extraction_samples": LLM_SAMPLES,
    }
    write_result("learning_ttft", result)
    print(
        f"TTFT turn 20 (median of {REPEATS} runs): on {turn20['on']:.3f}s off {turn20['off']:.3f}s "
        f"ratio {result['ratio_on_off_turn20']}"
    )
    print(
        f"median TTFT turns 10-20: on {result['ttft_s_median_turns_10_20']['on']:.3f}s "
        f"off {result['ttft_s_median_turns_10_20']['off']:.3f}s "
        f"ratio {result['ratio_on_off_median_turns_10_20']}"
    )
    print(
        f"with the draft embedded while typing (TUI): turn 20 {turn20['typed']:.3f}s "
        f"ratio {result['ratio_typed_off_turn20']}; turns 10-20 {pooled['typed']:.3f}s "
        f"ratio {result['ratio_typed_off_median_turns_10_20']}"
    )
    print(f"rule extraction p50: {result['rule_extraction_ms_per_turn_p50']} ms/turn")
    print(f"LLM extraction p50: {result['llm_extraction_ms_per_turn_p50']} ms/turn")


if __name__ == "__main__":
    main()
