"""Does learning show in the answers? The default model and the previous one, side by side.

Each model answers the same cases (tests/bench/answer_cases.toml, written for this
benchmark) through the whole app: the real model in its child process, a real LanceDB
in a fresh home per case, the real embedder. Reported per model:
- replies that end on their own before `max_tokens`, and replies that echo the system
  prompt or the template's markers (over every reply the benchmark asked for);
- correction adoption: the share of paraphrased questions, asked in new conversations
  after `Assistant.correct`, whose *reply* holds the corrected answer without merely
  narrating the injected note, against the same paraphrases asked before the correction;
- preference adherence: for stated preferences and facts (diet, allergy, brevity,
  units, name, language), the share of later replies, in new conversations, that pass
  a check that can fail, with learning on against learning off. Where the core
  converted a quantity into the user's units (core/reply_units.py), the reply counts as
  it was shown; the figure without those probes is reported beside it;
- recall of what was said in ordinary speech: a fact told the way people tell it ("We
  adopted another puppy called Pixie"), learned by the natural-speech extractor, then
  asked about in new conversations; the share of replies that hold it with learning on
  against off, and the share of those turns whose recalled notes held it (so a miss
  shows whether recall or the model missed);
- median TTFT and tok/s, and the model process's RSS.

The models take turns case by case (both processes stay loaded), so a busy moment of a
shared machine falls on both; TTFT and tok/s are also compared reply by reply, as the
median of the ratios over the same questions. Replies may run to the app's own
`max_tokens` (512), as a user's do; how many ended within 128 tokens is reported too.

Targets (issue 22): >= 90% end on their own and no system-prompt echo; adoption >= 0.8;
adherence on - off >= 30 points; TTFT and tok/s no worse than Gemma 3 270M.

    python -m tests.bench.bench_answers [--models smollm2-135m-instruct,gemma-3-270m] [--quick]
        [--kinds chat,correction,preference,fact]
"""

import argparse
import os
import statistics
import tempfile
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.compose import Environment, build_assistant, llama_loader, load_environment
from assistant.core import Assistant, TurnFinished
from assistant.core.settings import DEFAULT_SYSTEM_PROMPT, Settings
from assistant.embedder import Embedder, load_embedder
from assistant.llm.process import ProcessBackend
from assistant.system.paths import resolve_paths
from tests.bench.report import write_result

CASES = Path(__file__).with_name("answer_cases.toml")
# As the app answers a user (Settings.max_tokens); SHORT_TOKENS is the earlier runs' cap.
MAX_TOKENS = Settings().max_tokens
SHORT_TOKENS = 128
# Greedy by default, so runs compare; `--temperature` measures sampling as users get it
# (with a fixed seed per reply).
TEMPERATURE = 0.0
DEFAULT = "smollm2-135m-instruct"
PREVIOUS = "gemma-3-270m"
# A reply that carries these narrates the injected notes instead of answering.
NOTE_MARKERS = (
    "recalled",
    "earlier, asked",
    "you answered",
    "corrected it to",
    "the user corrected",
    "notes (data",
    "what you know about the user",
)
TEMPLATE_MARKERS = ("<start_of_turn>", "<end_of_turn>", "<|im_start|>", "<|im_end|>", "<recalled>")


def contains(text: str, needles: list[str]) -> bool:
    lowered = f" {text.lower()} "
    return any(n.lower() in lowered for n in needles)


def narrates_notes(text: str) -> bool:
    return contains(text, list(NOTE_MARKERS))


def echoes_prompt(text: str) -> bool:
    """The system prompt (a long piece of it) or a template marker in the reply."""
    lowered = text.lower()
    system = DEFAULT_SYSTEM_PROMPT.lower()
    pieces = [system[i : i + 40] for i in range(0, max(1, len(system) - 40), 10)]
    return any(p in lowered for p in pieces) or any(m in text for m in TEMPLATE_MARKERS)


@dataclass
class Arm:
    """One model's figures."""

    model: str
    replies: list[TurnFinished] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)
    before: list[bool] = field(default_factory=list)
    after: list[bool] = field(default_factory=list)
    after_narrated: int = 0
    correction_in_context: int = 0
    adherence: dict[str, dict[str, list[bool]]] = field(default_factory=dict)
    # With learning on, per probe: passed without the core converting a unit for it.
    adherence_unconverted: list[bool] = field(default_factory=list)
    learned: dict[str, list[str]] = field(default_factory=dict)
    adherence_misses: list[dict[str, str]] = field(default_factory=list)
    # Facts told in ordinary speech: per learning level, per probe, whether the reply held it.
    recall: dict[str, list[bool]] = field(default_factory=lambda: {"full": [], "off": []})
    recall_in_context: list[bool] = field(default_factory=list)
    learned_from_speech: list[str] = field(default_factory=list)
    recall_misses: list[dict[str, str]] = field(default_factory=list)
    examples: list[dict[str, str]] = field(default_factory=list)
    rss_mib: float = 0.0
    seconds: float = 0.0


class Bench:
    """Runs the cases for one model, each in a fresh home, sharing one model process."""

    def __init__(self, model: str, backend: ProcessBackend, embedder: Embedder, root: Path) -> None:
        self.model, self.backend, self.embedder = model, backend, embedder
        self.arm = Arm(model)
        self.root = root  # the run's scratch folder, removed at its end
        self._chat: Assistant | None = None  # the everyday chats share one home

    def fresh(self, learning: str) -> Assistant:
        os.environ["ASSISTANT_HOME"] = tempfile.mkdtemp(prefix="home-", dir=self.root)
        env = load_environment(
            model=self.model if self.model != DEFAULT else "",
            max_tokens=MAX_TOKENS,
            temperature=TEMPERATURE,
            seed=7,
            learning=learning,
        )
        assistant = build_assistant(env, self.backend, self.embedder)
        assistant.load()
        return assistant

    def ask(self, assistant: Assistant, text: str, learn: bool = False) -> TurnFinished:
        finished = None
        for event in assistant.send(text):
            if isinstance(event, TurnFinished):
                finished = event
        assert finished is not None
        self.arm.replies.append(finished)
        self.arm.asked.append(text)
        if learn:
            assistant.learn(finished)
        return finished

    def corrections(self, cases: list[dict[str, Any]]) -> None:
        for case in cases:
            assistant = self.fresh("full")
            for paraphrase in case["paraphrases"]:
                reply = self.ask(assistant, paraphrase).reply.content
                self.arm.before.append(contains(reply, case["expect"]))
            asked = self.ask(assistant, case["question"])
            assistant.correct(asked.reply.id, case["right"])
            for paraphrase in case["paraphrases"]:
                turn = self.ask(assistant, paraphrase)
                reply = turn.reply.content
                narrated = narrates_notes(reply)
                self.arm.after.append(contains(reply, case["expect"]) and not narrated)
                self.arm.after_narrated += narrated
                memories = " ".join(m.text for m in turn.context.memories)
                self.arm.correction_in_context += case["right"] in memories
                if len(self.arm.examples) < 4:
                    self.arm.examples.append({"asked": paraphrase, "reply": reply})

    def preferences(self, cases: list[dict[str, Any]]) -> None:
        for case in cases:
            scores: dict[str, list[bool]] = {}
            for learning in ("full", "off"):
                assistant = self.fresh(learning)
                self.ask(assistant, case["statement"], learn=learning != "off")
                if learning != "off":
                    self.arm.learned[case["kind"]] = [m.text for m in assistant.memories()]
                scores[learning] = []
                for probe in case["probes"]:
                    turn = self.ask(assistant, probe)
                    reply = turn.reply.content
                    scores[learning].append(passes(reply, case))
                    if learning != "off":
                        self.arm.adherence_unconverted.append(
                            scores[learning][-1] and not turn.converted_units
                        )
                    if not scores[learning][-1]:
                        self.arm.adherence_misses.append(
                            {
                                "kind": case["kind"],
                                "learning": learning,
                                "asked": probe,
                                "reply": reply,
                            }
                        )
            self.arm.adherence[case["kind"]] = scores

    def facts(self, cases: list[dict[str, Any]]) -> None:
        for case in cases:
            for learning in ("full", "off"):
                assistant = self.fresh(learning)
                self.ask(assistant, case["statement"], learn=learning != "off")
                if learning != "off":
                    self.arm.learned_from_speech += [m.text for m in assistant.memories()]
                for probe in case["probes"]:
                    turn = self.ask(assistant, probe["ask"])
                    held = contains(turn.reply.content, probe["present"])
                    self.arm.recall[learning].append(held)
                    if learning == "off":
                        continue
                    notes = " ".join(
                        m.text for m in [*turn.context.preferences, *turn.context.memories]
                    )
                    in_notes = contains(notes, probe["present"])
                    self.arm.recall_in_context.append(in_notes)
                    if not held:
                        self.arm.recall_misses.append(
                            {
                                "asked": probe["ask"],
                                "reply": turn.reply.content,
                                "in_notes": str(in_notes).lower(),
                            }
                        )

    def chats(self, cases: list[dict[str, Any]]) -> None:
        if self._chat is None:
            self._chat = self.fresh("memory")
        for case in cases:
            self.ask(self._chat, case["prompt"])

    def run(self, kind: str, case: dict[str, Any]) -> None:
        """One case of one kind ("chat", "correction", "preference", "fact"), timed."""
        start = time.perf_counter()
        run = {
            "chat": self.chats,
            "correction": self.corrections,
            "preference": self.preferences,
            "fact": self.facts,
        }[kind]
        run([case])
        self.arm.seconds += time.perf_counter() - start


def passes(reply: str, case: dict[str, Any]) -> bool:
    """The preference's check: words present or absent, or a length cap."""
    if "present" in case and not contains(reply, case["present"]):
        return False
    if "absent" in case and contains(reply, case["absent"]):
        return False
    return not ("max_words" in case and len(reply.split()) > case["max_words"])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def summary(arm: Arm) -> dict[str, Any]:
    replies = arm.replies
    # Ended before max_tokens: by the model, or by the core at a loop, before a
    # recitation of the prompt or at the user's brevity (core/reply_shape.py); each cut
    # is also counted on its own.
    ended = [r.usage.completion_tokens < MAX_TOKENS for r in replies]
    ended_short = [r.usage.completion_tokens < SHORT_TOKENS for r in replies]
    cut = Counter(r.ended_by for r in replies if r.ended_by)
    echoed = [echoes_prompt(r.reply.content) for r in replies]
    # The misses themselves, so a result file shows *why* (a loop, a long list, an echo).
    missed = [
        {"asked": asked, "reply": r.reply.content, "ended": end, "echoed": echo}
        for asked, r, end, echo in zip(arm.asked, replies, ended, echoed, strict=True)
        if not end or echo
    ]
    speeds = [r.usage.tokens_per_second for r in replies if r.usage.completion_tokens > 1]
    on = [ok for kind in arm.adherence.values() for ok in kind["full"]]
    off = [ok for kind in arm.adherence.values() for ok in kind["off"]]

    def share(values: list[bool]) -> float:
        return round(sum(values) / len(values), 3) if values else 0.0

    return {
        "model": arm.model,
        "replies": len(replies),
        "ended_on_their_own": share(ended),
        "ended_by_the_model": share(
            [e and not r.ended_by for e, r in zip(ended, replies, strict=True)]
        ),
        f"ended_within_{SHORT_TOKENS}_tokens": share(ended_short),
        "cut_at_a_loop": cut["loop"],
        "cut_for_brevity": cut["brevity"],
        "cut_before_reciting_the_prompt": cut["echo"],
        "asked_again_after_reciting": sum(r.retried for r in replies),
        "echoed_system_prompt_or_markers": sum(echoed),
        "correction_before": share(arm.before),
        "correction_after": share(arm.after),
        "correction_after_narrated_notes": arm.after_narrated,
        "correction_in_context": f"{arm.correction_in_context}/{len(arm.after)}",
        "adherence_learning_on": share(on),
        "adherence_learning_off": share(off),
        # The core's unit conversions (core/reply_units.py) count for learning on; this
        # is the figure without any probe they touched, i.e. the model's own adherence.
        "adherence_learning_on_without_conversions": share(arm.adherence_unconverted),
        "replies_with_units_converted": sum(r.converted_units > 0 for r in replies),
        "units_converted": [
            {"asked": asked, "reply": r.reply.content}
            for asked, r in zip(arm.asked, replies, strict=True)
            if r.converted_units
        ],
        "adherence_by_kind": {
            kind: {"on": share(v["full"]), "off": share(v["off"])}
            for kind, v in arm.adherence.items()
        },
        "learned_from_statements": arm.learned,
        "recall_learning_on": share(arm.recall["full"]),
        "recall_learning_off": share(arm.recall["off"]),
        "recall_in_context": share(arm.recall_in_context),
        "learned_from_speech": arm.learned_from_speech,
        "ttft_ms_median": round(1000 * statistics.median(r.usage.ttft_s for r in replies), 1),
        "tok_per_s_median": round(statistics.median(speeds), 1) if speeds else 0.0,
        "rss_model_process_mib": round(arm.rss_mib, 1),
        "wall_s": round(arm.seconds, 1),
        "examples_after_correction": arm.examples,
        "replies_not_ended_or_echoing": missed,
        "adherence_misses": arm.adherence_misses,
        "recall_misses": arm.recall_misses,
    }


def paired(arm: Arm, baseline: Arm) -> dict[str, Any]:
    """TTFT and tok/s against the baseline, reply by reply over the same questions."""
    pairs = list(zip(arm.replies, baseline.replies, strict=True))
    ttft = [a.usage.ttft_s / b.usage.ttft_s for a, b in pairs if b.usage.ttft_s > 0]
    # A reply asked again waits for two tries; the models' own speed shows where neither was.
    once = [
        a.usage.ttft_s / b.usage.ttft_s
        for a, b in pairs
        if b.usage.ttft_s > 0 and not a.retried and not b.retried
    ]
    speed = [
        a.usage.tokens_per_second / b.usage.tokens_per_second
        for a, b in pairs
        if a.usage.completion_tokens > 1 and b.usage.completion_tokens > 1
    ]
    return {
        "against": baseline.model,
        "pairs": len(pairs),
        "ttft_ratio_median": round(statistics.median(ttft), 3) if ttft else None,
        "ttft_ratio_median_neither_asked_again": (
            round(statistics.median(once), 3) if once else None
        ),
        "pairs_neither_asked_again": len(once),
        "tok_per_s_ratio_median": round(statistics.median(speed), 3) if speed else None,
    }


def load_backend(model: str, root: Path, threads: int = 0) -> ProcessBackend:
    home = Path(tempfile.mkdtemp(prefix="model-", dir=root))
    settings = Settings(model="" if model == DEFAULT else model, temperature=0.0, threads=threads)
    backend = llama_loader(Environment(resolve_paths(str(home)), settings))(lambda _line: None)
    assert isinstance(backend, ProcessBackend)
    return backend


def main() -> None:
    global TEMPERATURE  # noqa: PLW0603 (one knob for the whole run)
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default=f"{DEFAULT},{PREVIOUS}")
    parser.add_argument("--quick", action="store_true", help="a third of the cases")
    parser.add_argument("--temperature", type=float, default=TEMPERATURE)
    parser.add_argument(
        "--kinds", default="chat,correction,preference,fact", help="which kinds of case to run"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="llama.cpp threads for both models (0: one per core, as the app); on a "
        "loaded machine 1 keeps threads from waiting on each other",
    )
    args = parser.parse_args()
    TEMPERATURE = args.temperature
    kinds = args.kinds.split(",")
    cases = {k: v for k, v in tomllib.loads(CASES.read_text("utf-8")).items() if k in kinds}
    if args.quick:
        cases = {name: rows[::3] for name, rows in cases.items()}
    embedder = load_embedder()
    scratch = tempfile.TemporaryDirectory(prefix="bench-answers-")
    root = Path(scratch.name)
    models = args.models.split(",")
    benches = [Bench(m, load_backend(m, root, args.threads), embedder, root) for m in models]
    for kind in kinds:
        for number, case in enumerate(cases[kind], 1):
            for bench in benches:
                bench.run(kind, case)
            print(f"{kind} {number}/{len(cases[kind])}", flush=True)
    results = []
    for bench in benches:
        bench.arm.rss_mib = rss_mib(bench.backend.pid)
        bench.backend.close()
        result = summary(bench.arm)
        if bench is not benches[-1]:
            result["paired"] = paired(bench.arm, benches[-1].arm)
        results.append(result)
        print(f"{bench.model}: {result['replies']} replies in {result['wall_s']} s", flush=True)
    scratch.cleanup()
    counts = {name: len(rows) for name, rows in cases.items()}
    write_result(
        "bench_answers" if TEMPERATURE == 0 else f"bench_answers_t{TEMPERATURE:g}",
        {
            "max_tokens": MAX_TOKENS,
            "temperature": TEMPERATURE,
            "threads": args.threads,
            "cases": counts,
            "models": results,
        },
    )
    rows = [
        ("ended on their own", "ended_on_their_own"),
        ("  by the model", "ended_by_the_model"),
        (f"  within {SHORT_TOKENS} tokens", f"ended_within_{SHORT_TOKENS}_tokens"),
        ("  cut at a loop", "cut_at_a_loop"),
        ("  cut for brevity", "cut_for_brevity"),
        ("  cut before a recitation", "cut_before_reciting_the_prompt"),
        ("asked again after reciting", "asked_again_after_reciting"),
        ("echoed prompt/markers", "echoed_system_prompt_or_markers"),
        ("correction: before", "correction_before"),
        ("correction: after", "correction_after"),
        ("  after, narrated notes", "correction_after_narrated_notes"),
        ("  correction in context", "correction_in_context"),
        ("adherence: learning on", "adherence_learning_on"),
        ("  on, no unit converted", "adherence_learning_on_without_conversions"),
        ("adherence: learning off", "adherence_learning_off"),
        ("replies units converted", "replies_with_units_converted"),
        ("told in speech: on", "recall_learning_on"),
        ("  in recalled notes", "recall_in_context"),
        ("told in speech: off", "recall_learning_off"),
        ("TTFT median (ms)", "ttft_ms_median"),
        ("tok/s median", "tok_per_s_median"),
        ("model RSS (MiB)", "rss_model_process_mib"),
    ]
    print(f"{'':26}" + "".join(f"{r['model']:>24}" for r in results))
    for label, key in rows:
        print(f"{label:26}" + "".join(f"{r[key]!s:>24}" for r in results))
    for result in results:
        print(f"{result['model']} adherence by kind: {result['adherence_by_kind']}")
        if "paired" in result:
            print(f"{result['model']} against {result['paired']['against']}, reply by reply:")
            print(f"  TTFT ratio median  {result['paired']['ttft_ratio_median']}")
            print(
                "  TTFT ratio median where neither was asked again "
                f"{result['paired']['ttft_ratio_median_neither_asked_again']} "
                f"({result['paired']['pairs_neither_asked_again']} pairs)"
            )
            print(f"  tok/s ratio median {result['paired']['tok_per_s_ratio_median']}")


if __name__ == "__main__":
    main()
