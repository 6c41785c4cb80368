"""Do corrections come back? Recall of N corrections on paraphrased questions, and its cost.

A scripted user, over many sessions, asks N factual questions (each in its own new
conversation) and corrects every reply with `Assistant.correct`; every fifth session
an unrelated chat adds noise (messages and learned memories) to the store. Later, in
new conversations, the user asks one paraphrase of every question, in shuffled order.
For each probe: is its correction among the memories injected into the prompt, at what
rank, how many memory slots were used, how many *other* corrections came along, and
does the right answer reach the model's last message. TTFT is measured on the same
probes against a second assistant with learning off (its own model, alternating which
goes first), as in bench_learning_ttft; learning after a turn is off the timed path.

Target: hit_rate >= 0.95 at N=50 with no more than 3 memory slots injected.

Run: `.venv/bin/python -m tests.bench.bench_corrections [--n N]`.
"""

import argparse
import os
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from assistant.compose import build_assistant, load_environment
from assistant.core import Assistant, ReplyDelta, TurnFinished
from assistant.embedder import Embedder, load_embedder
from tests.bench.report import write_result

MAX_TOKENS = 8
NOISE_EVERY = 5
TARGET_HIT_RATE = 0.95
TARGET_SLOTS = 3
SHUFFLE_SEED = 7


@dataclass(frozen=True)
class Fact:
    """A question, the right answer the user corrects to, and a paraphrase asked later."""

    question: str
    answer: str
    probe: str


FACTS = [
    Fact("What is the capital of Australia?", "Canberra", "Which city is Australia's capital?"),
    Fact("In what year did the Berlin Wall fall?", "1989", "When was the Berlin Wall torn down?"),
    Fact("How many centimeters are in an inch?", "2.54 cm", "An inch equals how many centimetres?"),
    Fact(
        "What is the chemical symbol for gold?",
        "Au",
        "Which letters stand for gold on the periodic table?",
    ),
    Fact(
        "Who wrote Pride and Prejudice?", "Jane Austen", "Who is the author of Pride and Prejudice?"
    ),
    Fact("What is my dentist's name?", "Dr. Patel", "Who is my dentist?"),
    Fact(
        "What is the boiling point of water at sea level in Fahrenheit?",
        "212 °F",
        "At sea level, water boils at how many degrees Fahrenheit?",
    ),
    Fact("Who painted the Mona Lisa?", "Leonardo da Vinci", "Which artist created the Mona Lisa?"),
    Fact(
        "What is the largest planet in the solar system?",
        "Jupiter",
        "Which planet orbiting our sun is the biggest?",
    ),
    Fact(
        "When is my mother's birthday?",
        "March 14",
        "On what date does my mom celebrate turning a year older?",
    ),
    Fact(
        "What is the speed of light in a vacuum?",
        "299,792 km/s",
        "How fast does light travel through empty space?",
    ),
    Fact(
        "What is the capital of Canada?",
        "Ottawa",
        "Which city serves as Canada's seat of government?",
    ),
    Fact(
        "What year did humans first land on the Moon?",
        "1969",
        "When did astronauts first walk on the lunar surface?",
    ),
    Fact("What is my cat's name?", "Miso", "What did I call my cat?"),
    Fact(
        "How many bones are in the adult human body?",
        "206 bones",
        "An adult person's skeleton is made of how many bones?",
    ),
    Fact("Who discovered penicillin?", "Alexander Fleming", "Which scientist found penicillin?"),
    Fact(
        "What is the tallest mountain on Earth?",
        "Mount Everest",
        "Which peak is the highest in the world?",
    ),
    Fact("How many kilometers are in a mile?", "1.609 km", "A mile is how many kilometres long?"),
    Fact("What is my wife's favorite flower?", "peonies", "Which flower does my wife like best?"),
    Fact(
        "What is the freezing point of water in Kelvin?",
        "273.15 K",
        "At how many kelvins does water turn to ice?",
    ),
    Fact(
        "Who was the first president of the United States?",
        "George Washington",
        "Who served as America's first head of state?",
    ),
    Fact("What language is spoken in Brazil?", "Portuguese", "Which language do Brazilians speak?"),
    Fact(
        "What is the currency of Japan?",
        "the Japanese yen",
        "What money do people pay with in Japan?",
    ),
    Fact("Where does my brother live?", "Rotterdam", "Which city is my brother based in?"),
    Fact(
        "What is the hardest natural substance?",
        "diamond",
        "Which naturally occurring material is the toughest to scratch?",
    ),
    Fact(
        "How many players does a soccer team have on the field?",
        "11 players",
        "A football side fields how many people at once?",
    ),
    Fact(
        "What gas do plants absorb from the air?",
        "carbon dioxide",
        "Which gas do plants take in from the atmosphere?",
    ),
    Fact(
        "What time is my yoga class on Tuesdays?",
        "6:30 pm",
        "When does my Tuesday yoga session start?",
    ),
    Fact("What is the longest river in Africa?", "the Nile", "Which African river is the longest?"),
    Fact(
        "Who developed the theory of general relativity?",
        "Albert Einstein",
        "Which physicist came up with general relativity?",
    ),
    Fact(
        "What is the value of pi to four decimal places?",
        "3.1416",
        "Rounded to four decimals, what does pi equal?",
    ),
    Fact(
        "What is my car's license plate?", "KX-482-B", "What's the registration number on my car?"
    ),
    Fact(
        "In which year did World War II end?",
        "1945",
        "When did the Second World War come to an end?",
    ),
    Fact(
        "What is the powerhouse of the cell?",
        "the mitochondria",
        "Which organelle makes most of a cell's energy?",
    ),
    Fact("How many ounces are in a pound?", "16 ounces", "A pound contains how many ounces?"),
    Fact("What is the capital of Kenya?", "Nairobi", "Kenya's government sits in which city?"),
    Fact("What is my doctor's phone number?", "555-0142", "How do I reach my doctor by phone?"),
    Fact(
        "Who composed The Four Seasons?",
        "Antonio Vivaldi",
        "Which composer wrote The Four Seasons?",
    ),
    Fact(
        "What is the atomic number of carbon?",
        "Carbon's atomic number is 6",
        "How many protons does a carbon atom have?",
    ),
    Fact(
        "What is my daughter's school called?",
        "Greenfield Primary",
        "Which school does my daughter attend?",
    ),
    Fact(
        "What is the main ingredient in guacamole?",
        "avocado",
        "Guacamole is mostly made from what?",
    ),
    Fact(
        "How long does light from the Sun take to reach Earth?",
        "about 8 minutes 20 seconds",
        "How many minutes does sunlight need to get to us?",
    ),
    Fact(
        "Who invented the telephone?",
        "Alexander Graham Bell",
        "Which inventor is credited with the first phone?",
    ),
    Fact(
        "What is my Wi-Fi password?",
        "blue-heron-42",
        "What's the password for my home wireless network?",
    ),
    Fact(
        "How many continents are there?",
        "seven continents",
        "How many continents does the world have?",
    ),
    Fact("What is the largest ocean?", "the Pacific Ocean", "Which ocean is the biggest on Earth?"),
    Fact("What is my manager's name?", "Sofia Reyes", "Who is my boss at work?"),
    Fact(
        "What is the melting point of iron?",
        "1538 °C",
        "At what temperature does iron turn liquid?",
    ),
    Fact(
        "Which country has the largest population?",
        "India",
        "What nation has the most people living in it?",
    ),
    Fact("What is my gym locker number?", "locker 317", "Which locker do I use at the gym?"),
]

NOISE = [
    ("I love hiking in the mountains.", "Any tips for a first long hike?"),
    ("I've been learning to play the guitar.", "What songs are good for beginners?"),
    ("My favorite food is ramen.", "Can you suggest a side dish?"),
    ("I'm planning a trip to Portugal next summer.", "What should I pack?"),
    ("I enjoy reading science fiction.", "Recommend a classic novel."),
    ("I have a dog named Biscuit.", "How often should I walk him?"),
    ("I started running in the mornings.", "How do I avoid sore knees?"),
    ("I like jazz music.", "Who should I listen to first?"),
    ("My favorite color is green.", "What plants are easy to keep indoors?"),
    ("I drink too much coffee.", "How can I cut back?"),
]


def make(home: str, learning: str, embedder: Embedder) -> Assistant:
    os.environ["ASSISTANT_HOME"] = home
    env = load_environment(learning=learning, max_tokens=MAX_TOKENS, temperature=0.0, seed=1)
    # No backend passed: each assistant loads its own Llama (and prompt-prefix cache).
    assistant = build_assistant(env, None, embedder)
    assistant.load(embedder=learning != "off")
    return assistant


def turn(
    assistant: Assistant, text: str, conversation_id: str | None
) -> tuple[TurnFinished, float]:
    """One turn; returns it and its TTFT (from the call, so recall counts)."""
    started = time.perf_counter()
    first_token = None
    last = None
    for event in assistant.send(text, conversation_id):
        if first_token is None and isinstance(event, ReplyDelta):
            first_token = time.perf_counter() - started
        last = event
    assert isinstance(last, TurnFinished)
    return last, first_token or last.usage.ttft_s


def close(assistant: Assistant) -> None:
    """Free the model (LlamaBackend has `close`; the ChatBackend port does not)."""
    closer = getattr(assistant.backend, "close", None)
    if callable(closer):
        closer()


def chat(assistant: Assistant, texts: tuple[str, ...]) -> None:
    """One conversation of a few turns, learning after each as the TUI does."""
    conversation = None
    for text in texts:
        finished, _ = turn(assistant, text, conversation)
        conversation = finished.conversation.id
        assistant.learn(finished)


def teach(
    assistant: Assistant, facts: list[Fact]
) -> tuple[list[str], list[dict[str, Any]], list[float]]:
    """The correction sessions; returns each fact's correction id, the sessions, correct() ms."""
    ids: list[str] = []
    sessions: list[dict[str, Any]] = []
    correct_ms: list[float] = []
    for index, fact in enumerate(facts):
        if index and index % NOISE_EVERY == 0:
            chat(assistant, NOISE[(index // NOISE_EVERY - 1) % len(NOISE)])
        finished, _ = turn(assistant, fact.question, None)
        assistant.learn(finished)
        started = time.perf_counter()
        result = assistant.correct(finished.reply.id, fact.answer)
        correct_ms.append((time.perf_counter() - started) * 1000)
        memory = result.changed[0]
        assert memory.kind == "correction", memory
        ids.append(memory.id)
        sessions.append(
            {
                "question": fact.question,
                "model_reply": finished.reply.content,
                "correction_id": memory.id,
                "superseded": [m.id for m in result.changed[1:]],
            }
        )
    return ids, sessions, correct_ms


def injected(finished: TurnFinished) -> list[dict[str, Any]]:
    return [
        {
            "id": h.id,
            "kind": h.memory_kind,
            "score": round(h.score, 5),
            "similarity": round(h.similarity, 4),
            "keyword": h.keyword,
            "text": h.text,
        }
        for h in finished.context.memories
    ]


def chosen_facts() -> list[Fact]:
    """The first `--n` facts of the command line (all of them by default)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=len(FACTS), help=f"facts (<= {len(FACTS)})")
    args = parser.parse_args()
    if not 1 <= args.n <= len(FACTS):
        parser.error(f"--n must be between 1 and {len(FACTS)}")
    return FACTS[: args.n]


def main() -> None:
    facts = chosen_facts()
    wall = time.perf_counter()
    embedder = load_embedder()
    with tempfile.TemporaryDirectory() as on_home, tempfile.TemporaryDirectory() as off_home:
        on = make(on_home, "feedback", embedder)
        teach_started = time.perf_counter()
        ids, sessions, correct_ms = teach(on, facts)
        teach_s = time.perf_counter() - teach_started
        active = {m.id for m in on.memories(("active",), "correction")}
        memories_total = len(on.memories())
        off = make(off_home, "off", embedder)
        order = list(range(len(facts)))
        random.Random(SHUFFLE_SEED).shuffle(order)
        ttft: dict[str, list[float]] = {"on": [], "off": []}
        probes: list[dict[str, Any]] = []
        correction_ids = set(ids)
        for step, index in enumerate(order):
            fact = facts[index]
            pair = [("on", on), ("off", off)] if step % 2 == 0 else [("off", off), ("on", on)]
            for name, assistant in pair:
                finished, seconds = turn(assistant, fact.probe, None)
                ttft[name].append(seconds)
                if name == "on":
                    on_turn, prompt = finished, on.last_prompt[-1].content
                    evaluated = finished.usage.evaluated_prompt_tokens
                assistant.learn(finished)  # off the timed path
            hit_ids = [h.id for h in on_turn.context.memories]
            rank = hit_ids.index(ids[index]) + 1 if ids[index] in hit_ids else None
            probes.append(
                {
                    "question": fact.question,
                    "probe": fact.probe,
                    "answer": fact.answer,
                    "correction_id": ids[index],
                    "correction_active": ids[index] in active,
                    "hit": rank is not None,
                    "rank": rank,
                    "memory_slots": len(hit_ids),
                    "message_slots": len(on_turn.context.messages),
                    "other_corrections": sum(
                        1 for h in hit_ids if h in correction_ids and h != ids[index]
                    ),
                    "answer_in_prompt": fact.answer in prompt,
                    "evaluated_prompt_tokens": evaluated,
                    "reply": on_turn.reply.content,
                    "injected": injected(on_turn),
                }
            )
        model = on.backend.name
        close(off)
        close(on)
    count = len(probes)
    slots = [p["memory_slots"] for p in probes]
    hit_rate = sum(p["hit"] for p in probes) / count
    hit_rate_top3 = sum(p["hit"] and p["rank"] <= 3 for p in probes) / count
    medians = {k: statistics.median(v) for k, v in ttft.items()}
    result = {
        "benchmark": "corrections",
        "model": model,
        "n": len(facts),
        "probes": count,
        "noise_sessions": (len(facts) - 1) // NOISE_EVERY,
        "memories_in_store": memories_total,
        "corrections_superseded": [s for s in sessions if s["superseded"]],
        "corrections_not_active_at_probe_time": sum(not p["correction_active"] for p in probes),
        "hit_rate": round(hit_rate, 4),
        "hit_rate_top3": round(hit_rate_top3, 4),
        "answer_in_prompt_rate": round(sum(p["answer_in_prompt"] for p in probes) / count, 4),
        "memory_slots_median": statistics.median(slots),
        "memory_slots_max": max(slots),
        "message_slots_median": statistics.median(p["message_slots"] for p in probes),
        "false_injections": round(statistics.fmean(p["other_corrections"] for p in probes), 3),
        "ttft_s_median": {k: round(v, 4) for k, v in medians.items()},
        "ratio_on_off": round(medians["on"] / medians["off"], 3),
        "added_ttft_ms": round((medians["on"] - medians["off"]) * 1000, 1),
        "evaluated_prompt_tokens_median_on": statistics.median(
            p["evaluated_prompt_tokens"] for p in probes
        ),
        "correct_ms_p50": round(statistics.median(correct_ms), 1),
        "teach_s": round(teach_s, 1),
        "wall_s": round(time.perf_counter() - wall, 1),
        "target": {
            "hit_rate_min": TARGET_HIT_RATE,
            "memory_slots_max": TARGET_SLOTS,
            "n": len(FACTS),
            "met": hit_rate >= TARGET_HIT_RATE and max(slots) <= TARGET_SLOTS,
        },
        "ttft_s_per_probe": {k: [round(x, 4) for x in v] for k, v in ttft.items()},
        "probe_results": probes,
        "sessions": sessions,
    }
    write_result("corrections", result)
    print(
        f"n={len(facts)}: hit rate {hit_rate:.2f} (top 3: {hit_rate_top3:.2f}), "
        f"answer in prompt {result['answer_in_prompt_rate']:.2f}, memory slots median "
        f"{result['memory_slots_median']} max {result['memory_slots_max']}, "
        f"other corrections per probe {result['false_injections']}"
    )
    print(
        f"TTFT median: feedback {medians['on']:.3f}s off {medians['off']:.3f}s "
        f"ratio {result['ratio_on_off']} (+{result['added_ttft_ms']} ms)"
    )
    print(f"target met: {result['target']['met']}  wall {result['wall_s']}s")
    for p in probes:
        if not p["hit"] or p["rank"] > 3:
            label = "MISS" if not p["hit"] else f"RANK {p['rank']}"
            print(f"{label} {p['probe']!r} (asked {p['question']!r}); injected:")
            for h in p["injected"]:
                print(f"    {h['kind']} {h['score']} cos {h['similarity']}: {h['text'][:100]}")


if __name__ == "__main__":
    main()
