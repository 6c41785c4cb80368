"""The training knobs, apart from the training code so the CLI can show their defaults
without importing numpy or torch."""

from dataclasses import dataclass

from assistant.weights.train.errors import TrainError


@dataclass(frozen=True)
class LoraOptions:
    """The knobs `assistant train` exposes, with defaults that suit a few hundred rows."""

    rank: int = 8
    alpha: int = 0
    epochs: int = 3
    steps: int = 0
    lr: float = 3e-4
    seed: int = 0
    threads: int = 0
    max_grad_norm: float = 1.0

    @property
    def lora_alpha(self) -> int:
        """`alpha`, or twice the rank when unset (a LoRA scale of 2 at any rank)."""
        return self.alpha or 2 * self.rank

    def total_steps(self, examples: int) -> int:
        """`steps` when set, else one step per example per epoch."""
        return self.steps or self.epochs * examples

    def check(self) -> None:
        """Reject values that cannot train (the CLI passes them through unchecked)."""
        problems = [
            (self.rank < 1, "--rank must be at least 1"),
            (self.epochs < 1, "--epochs must be at least 1"),
            (self.steps < 0, "--steps must not be negative"),
            (not 0 < self.lr < 1, "--lr must be between 0 and 1 (e.g. 3e-4)"),
            (self.threads < 0, "--threads must not be negative"),
            (self.alpha < 0, "--alpha must not be negative"),
        ]
        for bad, message in problems:
            if bad:
                raise TrainError(message, "see `assistant train --help`")
