"""Extraction quality on LoCoMo (dev split): what the user's own turns teach, against
the facts LoCoMo's authors took from them (`observations.jsonl`).

Both extractors run over every user turn in the same run: the old explicit rules
(`extract_rules`) and the new extractor (`Extractor`: rules behind a junk gate, plus
natural self-disclosures kept by the salience scorer). For each:
- coverage: the share of the observations about the user for which a memory drawn from
  one of the observation's evidence turns matches it (cosine >= MATCH and a shared
  content word: tests/bench/observations.py says why 0.5);
- junk: the share of memories that match no observation of their session;
- the hand-written cases of tests/extraction_cases.py: the share of chit-chat that
  yields nothing (precision on chit-chat) and of disclosures that yield their memory;
- the salience checks (tests/bench/salience_checks.jsonl, written for the project and
  never trained on): the share of its hard negatives that yield a memory (junk on
  sentences built to pass the speech gate) and of its quiet positives that do;
- what is stored after every turn was learned through the real MemoryBook and LanceDB
  (near-duplicates reinforce, related facts merge, slots supersede): the memory list a
  user would review after `import --learn`;
- cost per user turn in ms, wall clock and the calling thread's CPU time (other work on
  a shared machine inflates the first, not the second), and how much of it is the
  embedder's forward pass: the new extractor embeds the sentences it scores; the memory's
  vector comes out of it, so storing costs no second embedding.
Coverage and junk are also given per split: TUNE, the three conversations the gate's
classes were written reading, and HELD, the other two. The salience scorer never saw
LoCoMo: it is fitted on the project's own sentences (tests/bench/train_salience.py), so
its part of both figures is out of sample.

Run: `.venv/bin/python -m tests.bench.bench_extraction`.
"""

import json
import random
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from assistant.core.learning.disclosures import Extractor
from assistant.core.learning.extract import Candidate, extract_rules
from assistant.core.learning.memory import MemoryBook
from assistant.core.learning.salience import WEIGHTS
from assistant.core.learning.speech import rewrite, sentences
from assistant.core.records import Memory
from assistant.embedder import load_embedder
from assistant.store.lance_db import LanceDatabase
from assistant.store.memories import LanceMemoryStore
from tests.bench.observations import HELD, MATCH, TUNE, Matcher, Turn, load
from tests.bench.report import write_result
from tests.extraction_cases import CHIT_CHAT, DISCLOSURES, WHEN

CHECKS = Path(__file__).with_name("salience_checks.jsonl")

Extract = Callable[[Turn], list[Candidate]]


class TimedEmbedder:
    """The real embedder, counting the time its forward passes take."""

    def __init__(self, embedder: object) -> None:
        self.embedder = embedder
        self.ms = 0.0
        self.texts = 0

    @property
    def dimension(self) -> int:
        return int(self.embedder.dimension)  # type: ignore[attr-defined]

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        started = time.perf_counter()
        vectors: list[list[float]] = self.embedder.embed(texts)  # type: ignore[attr-defined]
        self.ms += (time.perf_counter() - started) * 1000
        self.texts += len(texts)
        return vectors


def percentiles(values: list[float], prefix: str) -> dict[str, float]:
    return {
        f"{prefix}_mean": round(statistics.mean(values), 3),
        f"{prefix}_p50": round(statistics.median(values), 3),
        f"{prefix}_p95": round(float(np.percentile(values, 95)), 3),
    }


def threshold_check(turns: list[Turn], matcher: Matcher, embedder: object) -> dict[str, float]:
    """How MATCH separates an observation's own evidence from unrelated sentences."""
    texts, owners = [], []
    for turn in turns:
        for sentence in sentences(turn.content):
            texts.append(rewrite(sentence, turn.when))
            owners.append(turn)
    vectors = np.array(embedder.embed(texts))  # type: ignore[attr-defined]
    by_turn: dict[str, list[int]] = defaultdict(list)
    by_source: dict[str, list[int]] = defaultdict(list)
    for i, turn in enumerate(owners):
        by_turn[turn.id].append(i)
        by_source[turn.source].append(i)
    rng = random.Random(0)
    own, other = [], []
    for o, vector in zip(matcher.observations, matcher.vectors, strict=True):
        mine = [i for e in o.evidence for i in by_turn[e]]
        if mine:
            own.append(float(np.max(vectors[mine] @ vector)))
        elsewhere = [i for i in by_source[o.source] if owners[i].session != o.session]
        other.extend(float(c) for c in vectors[rng.sample(elsewhere, 10)] @ vector)
    return {
        "own_evidence_best_sentence_at_or_above": round(float(np.mean(np.array(own) >= MATCH)), 4),
        "other_session_sentence_at_or_above": round(float(np.mean(np.array(other) >= MATCH)), 4),
    }


def evaluate(
    name: str,
    extract: Extract,
    turns: list[Turn],
    matcher: Matcher,
    embedder: object,
    *,
    timed: TimedEmbedder,
) -> dict[str, object]:
    memories: list[tuple[Turn, str]] = []
    costs, cpu, forward, embedded = [], [], [], []
    for turn in turns:
        timed.ms, timed.texts = 0.0, 0
        started, started_cpu = time.perf_counter(), time.thread_time()
        found = extract(turn)
        costs.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        forward.append(timed.ms)
        embedded.append(timed.texts)
        memories.extend((turn, c.text) for c in found)
    vectors = np.array(embedder.embed([text for _, text in memories]))  # type: ignore[attr-defined]
    evidence: dict[str, list[int]] = defaultdict(list)
    for i, o in enumerate(matcher.observations):
        for message_id in o.evidence:
            evidence[message_id].append(i)
    covered: set[int] = set()
    junk = []
    junk_turns: list[Turn] = []
    for (turn, text), vector in zip(memories, vectors, strict=True):
        covered.update(matcher.matches(text, vector, evidence[turn.id]))
        if not matcher.matches(text, vector, matcher.by_session[turn.session]):
            junk.append(text)
            junk_turns.append(turn)
    splits = {}
    for split, sources in (("tune", TUNE), ("held", HELD)):
        among = [i for i, o in enumerate(matcher.observations) if o.source in sources]
        made = sum(turn.source in sources for turn, _ in memories)
        splits[split] = {
            "coverage": round(len(covered.intersection(among)) / len(among), 4),
            "junk": round(sum(t.source in sources for t in junk_turns) / max(1, made), 4),
            "memories": made,
        }
    slow = [i for i, c in enumerate(costs) if c >= np.percentile(costs, 95)]
    silent = sum(not extract(Turn("case", "", "", text, WHEN)) for text in CHIT_CHAT)
    found_cases = 0
    for text, phrase in DISCLOSURES:
        got = extract(Turn("case", "", "", text, WHEN))
        found_cases += any(phrase.lower() in c.text.lower() for c in got)
    checks = [json.loads(line) for line in CHECKS.read_text("utf-8").splitlines() if line]
    kept = {True: 0, False: 0}
    for row in checks:
        kept[row["memorable"]] += bool(extract(Turn("check", "", "", row["text"], WHEN)))
    positives = sum(row["memorable"] for row in checks)
    rng = random.Random(1)
    return {
        "system": name,
        "coverage": round(len(covered) / len(matcher.observations), 4),
        "junk": round(len(junk) / max(1, len(memories)), 4),
        "memories": len(memories),
        "turns_with_memories": len({turn.id for turn, _ in memories}),
        "chit_chat_silent": round(silent / len(CHIT_CHAT), 4),
        "disclosures_found": round(found_cases / len(DISCLOSURES), 4),
        "checks_hard_negatives_kept": round(kept[False] / (len(checks) - positives), 4),
        "checks_quiet_positives_kept": round(kept[True] / positives, 4),
        "splits": splits,
        **percentiles(costs, "ms_per_turn"),
        **percentiles(cpu, "cpu_ms_per_turn"),
        **percentiles([c - f for c, f in zip(costs, forward, strict=True)], "ms_outside_embedder"),
        "turns_embedding": round(float(np.mean(np.array(embedded) > 0)), 4),
        "slowest_5pct": {
            "turns": len(slow),
            "share_in_embedder": round(
                sum(forward[i] for i in slow) / max(1e-9, sum(costs[i] for i in slow)), 4
            ),
            "sentences_embedded_mean": round(statistics.mean(embedded[i] for i in slow), 2),
        },
        "junk_examples": rng.sample(junk, min(8, len(junk))),
    }


def stored(
    turns: list[Turn], matcher: Matcher, embedder: object, extractor: Extractor
) -> dict[str, object]:
    """What the user's memory list holds after all of it was learned: each conversation
    family through the real MemoryBook on its own LanceDB on disk, so near-duplicates
    reinforce, related facts merge (keeping every source) and slots supersede.

    A stored memory may hold several turns' facts. It covers an observation it matches
    when one of its sources is an evidence turn, and is junk when it matches no
    observation of any session it was drawn from.
    """
    by_id = {turn.id: turn for turn in turns}
    memories: list[Memory] = []
    for source in sorted({turn.source for turn in turns}):
        with tempfile.TemporaryDirectory() as folder:
            store = LanceMemoryStore(LanceDatabase(Path(folder) / "store"))
            book = MemoryBook(store, embedder)  # type: ignore[arg-type]
            for turn in turns:
                if turn.source == source:
                    book.learn(extractor.extract(turn.content, turn.when), (turn.id,))
            memories.extend(store.list_memories(("active",)))
    vectors = np.array(embedder.embed([m.text for m in memories]))  # type: ignore[attr-defined]
    evidence: dict[str, list[int]] = defaultdict(list)
    for i, o in enumerate(matcher.observations):
        for message_id in o.evidence:
            evidence[message_id].append(i)
    covered: set[int] = set()
    junk = 0
    for memory, vector in zip(memories, vectors, strict=True):
        from_evidence = [i for s in memory.source_ids for i in evidence[s]]
        covered.update(matcher.matches(memory.text, vector, from_evidence))
        sessions = {by_id[s].session for s in memory.source_ids if s in by_id}
        among = [i for session in sessions for i in matcher.by_session[session]]
        junk += not matcher.matches(memory.text, vector, among)
    return {
        "coverage": round(len(covered) / len(matcher.observations), 4),
        "junk": round(junk / max(1, len(memories)), 4),
        "memories": len(memories),
        "merged_memories": sum(len(m.source_ids) > 1 for m in memories),
    }


def main() -> None:
    turns, observations = load()
    embedder = load_embedder()
    matcher = Matcher(observations, np.array(embedder.embed([o.text for o in observations])))
    timed = TimedEmbedder(embedder)
    extractor = Extractor(timed)
    extractor.extract("warm up the embedder", WHEN)
    systems: list[tuple[str, Extract]] = [
        ("rules", lambda turn: extract_rules(turn.content)),
        ("extractor", lambda turn: extractor.extract(turn.content, turn.when)),
    ]
    results = [evaluate(name, fn, turns, matcher, embedder, timed=timed) for name, fn in systems]
    kept = stored(turns, matcher, embedder, Extractor(embedder))
    trained = json.loads(WEIGHTS.read_text())
    check = threshold_check(turns, matcher, embedder)
    result = {
        "benchmark": "extraction",
        "user_turns": len(turns),
        "observations": len(observations),
        "match_cosine": MATCH,
        "match_threshold_check": check,
        "systems": results,
        "stored_after_learning": kept,
        "salience_scorer": {k: v for k, v in trained.items() if k not in ("weights", "bias")},
        "targets": {"coverage": 0.5, "junk": 0.1, "ms_per_turn": 20},
    }
    write_result("extraction", result)
    print(
        f"\n{'system':10} {'coverage':>9} {'junk':>6} {'tune c/j':>10} {'held c/j':>10} "
        f"{'memories':>9} {'chit-chat':>10} {'disclosures':>12} {'ms mean/p50/p95':>18} "
        f"{'cpu p50/p95':>12}"
    )
    for r in results:
        tune, held = r["splits"]["tune"], r["splits"]["held"]  # type: ignore[index]
        print(
            f"{r['system']:10} {r['coverage']:9.3f} {r['junk']:6.3f} "
            f"{tune['coverage']:.2f}/{tune['junk']:.2f} {held['coverage']:.2f}/{held['junk']:.2f} "
            f"{r['memories']:9} {r['chit_chat_silent']:10.3f} {r['disclosures_found']:12.3f} "
            f"{r['ms_per_turn_mean']:6.1f}/{r['ms_per_turn_p50']:4.1f}/{r['ms_per_turn_p95']:5.1f} "
            f"{r['cpu_ms_per_turn_p50']:5.1f}/{r['cpu_ms_per_turn_p95']:5.1f}"
        )
        print(f"{'':10} slowest 5% of turns: {r['slowest_5pct']}")
        print(
            f"{'':10} salience checks kept: hard negatives {r['checks_hard_negatives_kept']:.3f}, "
            f"quiet positives {r['checks_quiet_positives_kept']:.3f}"
        )
    print(
        f"stored after learning every turn (merged, superseded, reinforced): coverage "
        f"{kept['coverage']:.3f}, junk {kept['junk']:.3f}, {kept['memories']} memories "
        f"({kept['merged_memories']} drawn from more than one turn)"
    )
    corpus = trained["corpus"]
    print(
        f"salience scorer: fitted on {corpus['sentences']} sentences of the project's own "
        f"corpus (none from LoCoMo), threshold {trained['threshold']}"
    )
    own = check["own_evidence_best_sentence_at_or_above"]
    other = check["other_session_sentence_at_or_above"]
    print(f"match at cosine {MATCH}: own evidence {own:.3f}, other sessions {other:.3f}")


if __name__ == "__main__":
    main()
