"""The learning report: what was learned over time, and whether corrections stick.

Pure functions over records and vectors, so the CLI, the TUI and the tests compute
the same numbers. The headline is the repeat-mistake rate: of later questions close
in meaning to a corrected one, how many got an answer that ignores the correction; its
other side, adoption, is how many replies carried the corrected answer.
"""

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.core.learning.echo import is_degenerate
from assistant.core.learning.extract import slot
from assistant.core.records import Memory, Message, Signal

NEGATIVE_KINDS = ("down", "correction", "regenerate")
TOPIC_SIMILARITY = 0.5
TOPIC_LIMIT = 8


@dataclass(frozen=True)
class Followup:
    """A later question close to a corrected one, and the reply it got."""

    correction: Signal
    reply: str


def answered_against(right: str, reply: str) -> bool:
    """Whether a reply ignores a correction: it lacks the corrected answer's words."""
    wanted = set(slot(right, 12).split())
    said = set(re.findall(r"[a-z0-9']+", reply.lower()))
    return bool(wanted) and not wanted <= said


def degenerate_replies(replies: Sequence[Message]) -> list[Message]:
    """The replies that looped or leaked prompt markers (never recalled: echo.py)."""
    return [r for r in replies if is_degenerate(r.content)]


def by_day(
    memories: Sequence[Memory], signals: Sequence[Signal], degenerate: Sequence[Message] = ()
) -> list[dict[str, object]]:
    """Counts per calendar day (UTC), oldest first."""
    days: dict[str, Counter[str]] = defaultdict(Counter)
    for memory in memories:
        days[memory.created_at.date().isoformat()]["memories"] += 1
    for signal in signals:
        name = "corrections" if signal.kind == "correction" else signal.kind
        days[signal.at.date().isoformat()][name] += 1
    for reply in degenerate:
        days[reply.created_at.date().isoformat()]["degenerate"] += 1
    return [
        {
            "date": day,
            "memories": days[day]["memories"],
            "corrections": days[day]["corrections"],
            "up": days[day]["up"],
            "down": days[day]["down"],
            "degenerate": days[day]["degenerate"],
        }
        for day in sorted(days)
    ]


def topics(questions: Sequence[str], vectors: Sequence[Sequence[float]]) -> list[dict[str, object]]:
    """Where the assistant fails most: negative questions clustered by meaning, labelled.

    Greedy single-pass clustering is enough for the hundreds of signals a user makes;
    each cluster is labelled by its most frequent content words.
    """
    if not questions:
        return []
    import numpy as np  # here, not at import: the TUI paints before numpy loads

    matrix = np.asarray(vectors, dtype=np.float32)
    centres: list[np.ndarray] = []
    members: list[list[int]] = []
    for i, row in enumerate(matrix):
        scores = [float(c @ row) / max(float(np.linalg.norm(c)), 1e-9) for c in centres]
        best = int(np.argmax(scores)) if scores else -1
        if best >= 0 and scores[best] >= TOPIC_SIMILARITY:
            members[best].append(i)
            centres[best] = centres[best] + row
        else:
            centres.append(row.copy())
            members.append([i])
    found = []
    for group in members:
        words = Counter(w for i in group for w in set(slot(questions[i], 12).split()))
        label = " ".join(w for w, _ in words.most_common(3))
        found.append({"label": label or "(no words)", "negatives": len(group)})
    found.sort(key=lambda t: -int(str(t["negatives"])))
    return found[:TOPIC_LIMIT]


def report(
    level: str,
    memories: Sequence[Memory],
    signals: Sequence[Signal],
    followups: Sequence[Followup],
    topic_list: list[dict[str, object]],
    *,
    degenerate: Sequence[Message] = (),
) -> dict[str, object]:
    """The whole report as one JSON-ready object.

    `degenerate` are the replies that looped or leaked template markers: left out of
    recall, and counted here so that the user sees how often the model does it.
    """
    kinds = Counter(m.kind for m in memories if m.status == "active")
    rules = [m for m in memories if m.kind == "rule"]
    signal_kinds = Counter(s.kind for s in signals)
    against = sum(1 for f in followups if answered_against(f.correction.text, f.reply))
    return {
        "level": level,
        "totals": {
            "memories": {k: kinds[k] for k in ("preference", "fact", "correction", "rule")},
            "rules": {
                s: sum(1 for r in rules if r.status == s)
                for s in ("proposed", "active", "discarded")
            },
            "feedback": {"up": signal_kinds["up"], "down": signal_kinds["down"]},
            "corrections": signal_kinds["correction"],
            "regenerations": signal_kinds["regenerate"],
            "reformulations": signal_kinds["reformulation"],
            "degenerate_replies": len(degenerate),
        },
        "by_day": by_day(memories, signals, degenerate),
        "repeat_mistakes": {
            "similar_questions": len(followups),
            "against_correction": against,
            "rate": round(against / len(followups), 4) if followups else None,
            # The same replies seen from the answer's side: how often the reply to a
            # question asked again after a correction carried the corrected answer.
            "with_correction": len(followups) - against,
            "adoption": round(1 - against / len(followups), 4) if followups else None,
        },
        "topics": topic_list,
        "rules": [
            {"id": r.id, "text": r.text, "status": r.status}
            for r in rules
            if r.status in ("proposed", "active")
        ],
    }
