"""Train the salience scorer (assistant/core/learning/salience.json) from the LoCoMo dev data.

Each user sentence that the speech gate lets through is rewritten as a memory and
embedded; it is labelled memorable when it matches (tests/bench/observations.py) some
observation of its session. A logistic regression over the 384-d vector is fitted with
L2 regularisation. The regularisation strength and the decision threshold are chosen on
three of the five conversations (TUNE) by leave-one-conversation-out cross-validation: for each
setting the held-out scores decide which sentences each message keeps, the kept
sentences are joined into one memory per message as the extractor does, and coverage and
junk are measured as bench_extraction measures them. The setting with the least junk at
coverage >= 0.50 wins (junk is what users of memory systems complain about most; 0.50 is
the issue's floor for coverage). A scorer fitted on TUNE with that setting is then
measured on the other two conversations (HELD), on which nothing was chosen: that figure
is what to expect on conversations the scorer has not seen. The shipped weights are
fitted on all five with the chosen setting.

Run: `.venv/bin/python -m tests.bench.train_salience` (a few minutes).
"""

import json
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from assistant.core.learning.disclosures import join
from assistant.core.learning.salience import WEIGHTS
from assistant.core.learning.speech import gate, rewrite, sentences
from assistant.embedder import load_embedder
from tests.bench.observations import Matcher, Turn, load

L2_GRID = (0.3, 1.0, 3.0)
THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75)
JUNK_TARGET = 0.10
COVERAGE_FLOOR = 0.50
# Chosen before any result was looked at: settings are picked on TUNE alone (leave one of
# its conversations out), then a scorer fitted on TUNE is measured on HELD, which nothing
# was chosen on. That held-out figure is what to expect on conversations not seen.
TUNE = ("locomo-26", "locomo-30", "locomo-41")
HELD = ("locomo-42", "locomo-43")


@dataclass
class Drafts:
    texts: list[str]
    turns: list[Turn]
    vectors: np.ndarray
    useful: np.ndarray  # matches some observation of its session


def build(matcher: Matcher, embedder: object) -> Drafts:
    turns, _ = load()
    texts, turn_of = [], []
    for turn in turns:
        for sentence in dict.fromkeys(sentences(turn.content)):
            if gate(sentence) is None:
                texts.append(rewrite(sentence, turn.when))
                turn_of.append(turn)
    vectors = np.array(embedder.embed(texts), dtype=np.float64)  # type: ignore[attr-defined]
    useful = [
        bool(matcher.matches(t, v, matcher.by_session[turn.session]))
        for t, v, turn in zip(texts, vectors, turn_of, strict=True)
    ]
    return Drafts(texts, turn_of, vectors, np.array(useful))


def fit(x: np.ndarray, y: np.ndarray, l2: float, steps: int = 25) -> tuple[np.ndarray, float]:
    """Logistic regression by Newton's method; classes weighted to balance."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    pos = max(float(y.mean()), 1e-6)
    weight = np.where(y, 0.5 / pos, 0.5 / (1 - pos))
    reg = l2 * np.eye(xb.shape[1])
    reg[-1, -1] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(xb @ w)))
        grad = xb.T @ (weight * (p - y)) + reg @ w
        hess = (xb * (weight * p * (1 - p))[:, None]).T @ xb + reg
        w -= np.linalg.solve(hess, grad)
    return w[:-1], float(w[-1])


def held_out_scores(d: Drafts, l2: float, among: np.ndarray) -> np.ndarray:
    """Each sentence of `among` scored by a fit that left its own conversation out."""
    scores = np.zeros(len(d.texts))
    sources = np.array([t.source for t in d.turns])
    for source in sorted(set(sources[among])):
        test = sources == source
        train = among & ~test
        w, b = fit(d.vectors[train], d.useful[train].astype(float), l2)
        scores[test] = 1 / (1 + np.exp(-(d.vectors[test] @ w + b)))
    return scores


@dataclass
class Scoring:
    """Coverage and junk of one-memory-per-message, over some conversations."""

    matcher: Matcher
    embedder: object
    cache: dict[str, np.ndarray]

    def vectors(self, texts: list[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if todo:
            fresh = self.embedder.embed(todo)  # type: ignore[attr-defined]
            self.cache.update(zip(todo, np.array(fresh), strict=True))
        return np.array([self.cache[t] for t in texts])

    def measure(
        self, d: Drafts, kept: np.ndarray, sources: tuple[str, ...]
    ) -> tuple[float, float, int]:
        """(coverage, junk, memories) when each message's kept sentences become one memory."""
        groups: dict[str, list[int]] = defaultdict(list)
        for i in np.flatnonzero(kept):
            if d.turns[i].source in sources:
                groups[d.turns[i].id].append(int(i))
        memories = [
            (d.turns[ix[0]], join([d.texts[i] for i in ix], [d.vectors[i] for i in ix])[0])
            for ix in groups.values()
        ]
        vectors = self.vectors([text for _, text in memories])
        m = self.matcher
        covered: set[int] = set()
        junk = 0
        evidence: dict[str, list[int]] = defaultdict(list)
        for i, o in enumerate(m.observations):
            for message_id in o.evidence:
                evidence[message_id].append(i)
        for (turn, text), vector in zip(memories, vectors, strict=True):
            covered.update(m.matches(text, vector, evidence[turn.id]))
            junk += not m.matches(text, vector, m.by_session[turn.session])
        total = sum(o.source in sources for o in m.observations)
        return len(covered) / total, junk / max(1, len(memories)), len(memories)


def main() -> None:
    embedder = load_embedder()
    _, observations = load()
    matcher = Matcher(observations, np.array(embedder.embed([o.text for o in observations])))
    d = build(matcher, embedder)
    scoring = Scoring(matcher, embedder, {})
    sources = np.array([t.source for t in d.turns])
    tune, held = np.isin(sources, TUNE), np.isin(sources, HELD)
    print(
        f"{len(d.texts)} sentences, {int(d.useful.sum())} useful, {len(observations)} observations"
    )
    # The least junk at coverage >= COVERAGE_FLOOR on TUNE (the most coverage among
    # settings at or under JUNK_TARGET); with no setting at the floor, the most coverage.
    best: tuple[tuple[bool, float, float], float, float, float, float] | None = None
    for l2 in L2_GRID:
        scores = held_out_scores(d, l2, tune)
        row = []
        for threshold in THRESHOLDS:
            coverage, junk, _ = scoring.measure(d, tune & (scores >= threshold), TUNE)
            row.append(f"{threshold}: {coverage:.2f}/{junk:.2f}")
            floor = coverage >= COVERAGE_FLOOR
            rank = (floor, -max(junk, JUNK_TARGET) if floor else coverage, coverage)
            if best is None or rank > best[0]:
                best = (rank, coverage, junk, l2, threshold)
        print(f"l2={l2:4} coverage/junk on tune, leave one out: " + "  ".join(row), flush=True)
    assert best is not None
    _, tune_coverage, tune_junk, l2, threshold = best
    w, b = fit(d.vectors[tune], d.useful[tune].astype(float), l2)
    held_scores = 1 / (1 + np.exp(-(d.vectors @ w + b)))
    coverage, junk, _ = scoring.measure(d, held & (held_scores >= threshold), HELD)
    print(
        f"chosen on tune: l2={l2} threshold={threshold} (tune coverage {tune_coverage:.3f} "
        f"junk {tune_junk:.3f}); fitted on tune, measured on held: coverage {coverage:.3f} "
        f"junk {junk:.3f}"
    )
    # The same setting, each conversation scored by a fit on the other four (closer to
    # the shipped fit on five); HELD's share of it was still never chosen on.
    everyone = np.ones(len(d.texts), dtype=bool)
    loco = held_out_scores(d, l2, everyone) >= threshold
    loco_figures = {}
    for split, among in (("all", TUNE + HELD), ("tune", TUNE), ("held", HELD)):
        c, j, _ = scoring.measure(d, loco, among)
        loco_figures[split] = {"coverage": round(c, 4), "junk": round(j, 4)}
    print(f"leave one of five out at that setting: {loco_figures}")
    w, b = fit(d.vectors, d.useful.astype(float), l2)
    about = (
        "tests/bench/train_salience.py: logistic regression over the all-MiniLM-L6-v2 vector "
        "of a rewritten sentence; labels from the LoCoMo dev observations (CC BY-NC 4.0)"
    )
    WEIGHTS.write_text(
        json.dumps(
            {
                "about": about,
                "l2": l2,
                "threshold": threshold,
                "tune": {
                    "conversations": list(TUNE),
                    "coverage": round(tune_coverage, 4),
                    "junk": round(tune_junk, 4),
                },
                "held_out": {
                    "conversations": list(HELD),
                    "coverage": round(coverage, 4),
                    "junk": round(junk, 4),
                },
                "leave_one_of_five_out": loco_figures,
                "sentences": len(d.texts),
                "bias": round(b, 6),
                "weights": [round(float(x), 6) for x in w],
            }
        )
        + "\n"
    )
    print(f"wrote {WEIGHTS}")


if __name__ == "__main__":
    main()
