"""Rules from feedback: repeated thumbs-down with a shared cause become a proposed rule.

One "too long" is an opinion; three are a pattern. A reason is mapped to a cause (a
known one such as answer length or units, or else its own normalised words), and once
RULE_AFTER thumbs-down share a cause since that cause was last decided on, a rule is
proposed. It is applied only when the user keeps it (or at learning level `full`).
"""

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from assistant.core.learning.extract import slot
from assistant.core.records import Memory, Signal
from assistant.core.reply_units import UNIT_WORDS, asked_system

RULE_AFTER = 3
# The units cause's key as listed; the system a reason asks for replaces "metric".
UNITS_KEY = "units:metric"

# (pattern over the reason, cause key, the rule that answers it)
KNOWN_CAUSES: tuple[tuple[str, str, str], ...] = (
    (
        r"too long|verbose|wordy|long.winded|rambl|shorter|too much text",
        "length:short",
        "Keep answers short.",
    ),
    (
        r"too short|more detail|not detailed|too brief|longer",
        "length:long",
        "Give fuller, more detailed answers.",
    ),
    (
        rf"\bunits?\b|\b(?:{UNIT_WORDS})\b",
        UNITS_KEY,
        "Use metric units.",
    ),
    (r"too formal|stiff|robotic", "tone:casual", "Use a relaxed, friendly tone."),
    (r"too casual|unprofessional|too informal", "tone:formal", "Use a formal, professional tone."),
    (r"emoji", "style:no-emoji", "Do not use emojis."),
    (
        r"jargon|too technical|hard to understand|confusing",
        "style:plain",
        "Explain in plain words and avoid jargon.",
    ),
    (
        r"no (?:code|example)|missing (?:code|example)|needs? (?:code|an? example)",
        "style:examples",
        "Include a short example.",
    ),
    (
        r"no sources?|cite|citation|made up|hallucinat",
        "style:honest",
        "Say when you are not sure instead of guessing.",
    ),
)


@dataclass(frozen=True)
class Cause:
    """Why answers were disliked, and the rule that would fix it."""

    key: str
    rule: str


def cause_of(reason: str) -> Cause | None:
    """The cause behind a thumbs-down reason (None when there is no reason)."""
    text = " ".join(reason.lower().split())
    if not text:
        return None
    for pattern, key, rule in KNOWN_CAUSES:
        if re.search(pattern, text):
            if key == UNITS_KEY:
                # "Use miles please" asks for imperial; "wrong units" names no system,
                # and metric is the default the rule has always had.
                system = asked_system(text) or "metric"
                return Cause(f"rule:units:{system}", f"Use {system} units.")
            return Cause(f"rule:{key}", rule)
    words = slot(text, 6)
    if not words:
        return None
    return Cause(f"rule:reason:{words}", f"Avoid answers the user finds {text.rstrip('.!')}.")


def proposals(downs: Sequence[Signal], rules: Sequence[Memory]) -> list[tuple[Cause, list[str]]]:
    """Causes that reached RULE_AFTER thumbs-down since a rule for them was last decided.

    Returns each cause with the ids of the replies that earned it. A rule in any state
    (proposed, kept, discarded) resets its count: discarding is an answer too.
    """
    decided: dict[str, datetime] = {}
    for rule in rules:
        when = decided.get(rule.key)
        decided[rule.key] = max(when, rule.updated_at) if when else rule.updated_at
    counted: dict[str, list[Signal]] = defaultdict(list)
    causes: dict[str, Cause] = {}
    for signal in downs:
        cause = cause_of(signal.reason)
        if cause is None:
            continue
        since = decided.get(cause.key)
        if since is not None and signal.at <= since:
            continue
        causes[cause.key] = cause
        counted[cause.key].append(signal)
    return [
        (causes[key], [s.message_id for s in signals])
        for key, signals in counted.items()
        if len(signals) >= RULE_AFTER
    ]
