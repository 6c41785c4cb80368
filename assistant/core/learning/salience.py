"""Is this sentence worth remembering? A small learned scorer over the embedder's vector.

Rules can tell a sentence about the user from chit-chat, but not whether a careful
listener would keep it: "I went to a support group yesterday" matters, "I'm so happy
for you guys" does not, and both look alike to a pattern. A logistic regression over
the sentence's MiniLM vector (384 weights and a bias, in `salience.json`) learns that
difference from sentences written and labelled for this project
(tests/bench/salience_corpus.jsonl). The vector is the one the memory is stored under
anyway, so scoring costs one dot product.

`tests/bench/train_salience.py` reproduces the weights and says how the threshold was
chosen. LoCoMo's conversations are only measured on (bench_extraction): their licence
allows evaluation only, and a scorer fitted on them would flatter its own figures.
"""

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

WEIGHTS = Path(__file__).with_name("salience.json")


@dataclass(frozen=True)
class Salience:
    """A linear scorer of memorable sentences, with the threshold it was tuned for."""

    weights: tuple[float, ...]
    bias: float
    threshold: float

    def score(self, vector: Sequence[float]) -> float:
        """The probability that a careful listener keeps this sentence."""
        z = self.bias + math.fsum(w * x for w, x in zip(self.weights, vector, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def memorable(self, vector: Sequence[float]) -> bool:
        return self.score(vector) >= self.threshold


def load_salience(path: Path = WEIGHTS) -> Salience:
    """The shipped scorer (its file is small and read once per extractor)."""
    data = json.loads(path.read_text())
    return Salience(
        tuple(float(w) for w in data["weights"]), float(data["bias"]), float(data["threshold"])
    )
