"""What the user said of each reply: the last thumbs up or down on it wins.

One rule for the two places that read verdicts: the dataset export (an approved answer
is a training example) and recall (a turned-down answer is not fed back as known).
"""

from collections.abc import Iterable

from assistant.core.records import Signal


def latest_verdicts(signals: Iterable[Signal]) -> dict[str, Signal]:
    """Each reply's last up or down signal, by reply id (`signals` oldest first)."""
    verdicts: dict[str, Signal] = {}
    for signal in signals:
        if signal.kind in ("up", "down"):
            verdicts[signal.message_id] = signal
    return verdicts


def turned_down(signals: Iterable[Signal]) -> set[str]:
    """The replies whose last verdict is thumbs down."""
    return {i for i, s in latest_verdicts(signals).items() if s.kind == "down"}
