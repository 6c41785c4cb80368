"""Progress of a training run, as plain events any shell can show (CLI line, TUI bar).

Training takes minutes on a CPU, so every stage reports, and the training steps report
their loss, speed and an ETA from the steps done so far.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Stage = Literal["prepare", "load", "train", "write", "evaluate", "done"]


@dataclass(frozen=True)
class TrainProgress:
    """One progress report: a stage and, while training, where the steps stand."""

    stage: Stage
    message: str = ""
    step: int = 0
    steps: int = 0
    loss: float | None = None
    tokens_per_s: float = 0.0
    eta_s: float | None = None

    def line(self) -> str:
        """A one-line summary for a terminal or a status bar."""
        if self.stage != "train" or not self.steps:
            return self.message
        parts = [f"Training: step {self.step}/{self.steps}"]
        if self.loss is not None:
            parts.append(f"loss {self.loss:.3f}")
        if self.tokens_per_s:
            parts.append(f"{self.tokens_per_s:.0f} tok/s")
        if self.eta_s is not None:
            parts.append(f"ETA {format_duration(self.eta_s)}")
        return " · ".join(parts)


ProgressCallback = Callable[[TrainProgress], None]


def format_duration(seconds: float) -> str:
    """`42s`, `3m05s`, `1h02m`: short enough for a status line."""
    total = max(0, round(seconds))
    if total < 60:
        return f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def stage_reporter(progress: ProgressCallback, stage: Stage) -> Callable[[str], None]:
    """A plain-text progress function (as model loading takes) for one stage."""
    return lambda message: progress(TrainProgress(stage, message))
