"""Train the salience scorer (assistant/core/learning/salience.json) from the LoCoMo dev data.

Each user sentence that the speech gate lets through is rewritten as a memory and
embedded; it is labelled memorable when it matches (tests/bench/observations.py) some
observation of its session. A logistic regression over the 384-d vector is fitted with
L2 regularisation. The regularisation strength and the decision threshold are chosen by
leave-one-conversation-out cross-validation (train on four people, score the fifth),
never on the data being scored: for each setting the held-out scores decide which
sentences each message keeps, the kept sentences are joined into one memory per message
as the extractor does, and coverage and junk are measured as bench_extraction measures
them. The setting with the best coverage - JUNK_COST x junk wins (a junk memory costs
twice a missed one: junk is what users of memory systems complain about most), and its
held-out numbers are printed and stored: they are what to expect on conversations the
scorer has not seen. The shipped weights are then fitted on all five.

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
THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)
JUNK_COST = 2.0


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


def held_out_scores(d: Drafts, l2: float) -> np.ndarray:
    scores = np.zeros(len(d.texts))
    sources = np.array([t.source for t in d.turns])
    for source in sorted(set(sources)):
        test = sources == source
        w, b = fit(d.vectors[~test], d.useful[~test].astype(float), l2)
        scores[test] = 1 / (1 + np.exp(-(d.vectors[test] @ w + b)))
    return scores


def per_message(
    d: Drafts, kept: np.ndarray, matcher: Matcher, embedder: object
) -> tuple[float, float, int]:
    """(coverage, junk, memories) when each message's kept sentences become one memory."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i in np.flatnonzero(kept):
        groups[d.turns[i].id].append(int(i))
    memories = [
        (d.turns[ix[0]], *join([d.texts[i] for i in ix], [d.vectors[i] for i in ix]))
        for ix in groups.values()
    ]
    vectors = np.array(embedder.embed([m[1] for m in memories]))  # type: ignore[attr-defined]
    covered: set[int] = set()
    junk = 0
    evidence: dict[str, list[int]] = defaultdict(list)
    for i, o in enumerate(matcher.observations):
        for message_id in o.evidence:
            evidence[message_id].append(i)
    for (turn, text, _), vector in zip(memories, vectors, strict=True):
        covered.update(matcher.matches(text, vector, evidence[turn.id]))
        junk += not matcher.matches(text, vector, matcher.by_session[turn.session])
    total = len(matcher.observations)
    return len(covered) / total, junk / max(1, len(memories)), len(memories)


def main() -> None:
    embedder = load_embedder()
    _, observations = load()
    matcher = Matcher(observations, np.array(embedder.embed([o.text for o in observations])))
    d = build(matcher, embedder)
    print(
        f"{len(d.texts)} sentences, {int(d.useful.sum())} useful, {len(observations)} observations"
    )
    best = (-9.0, 0.0, 0.0, 0.0, 0.0)  # value, coverage, junk, l2, threshold
    for l2 in L2_GRID:
        scores = held_out_scores(d, l2)
        row = []
        for threshold in THRESHOLDS:
            coverage, junk, _ = per_message(d, scores >= threshold, matcher, embedder)
            row.append(f"{threshold}: {coverage:.2f}/{junk:.2f}")
            value = coverage - JUNK_COST * junk
            if value > best[0]:
                best = (value, coverage, junk, l2, threshold)
        print(f"l2={l2:4} coverage/junk held out: " + "  ".join(row), flush=True)
    _, coverage, junk, l2, threshold = best
    print(f"chosen l2={l2} threshold={threshold}: held out coverage {coverage:.3f} junk {junk:.3f}")
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
                "held_out": {"coverage": round(coverage, 4), "junk": round(junk, 4)},
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
