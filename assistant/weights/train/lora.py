"""Plain LoRA training on CPU: attention and MLP projections, loss on the answer only.

One example is one optimizer step (no padding, no batching: the datasets are small and
a CPU gains nothing from batches of unequal rows). Logits are computed only where the
answer is predicted, which saves most of the work on Gemma's 262k-token vocabulary.
The LoRA layers are removed from the base model afterwards, so one loaded base can
train several times in a process (the tests and the benchmark do).
"""

import random
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from assistant.weights.train.base import TrainingBase
from assistant.weights.train.errors import TrainError, TrainingStopped
from assistant.weights.train.examples import Example
from assistant.weights.train.options import LoraOptions
from assistant.weights.train.progress import ProgressCallback, TrainProgress

TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class LoraWeights:
    """Trained LoRA pairs by transformers module name: A is (rank, in), B is (out, rank)."""

    rank: int
    alpha: int
    pairs: dict[str, tuple[Matrix, Matrix]]


@dataclass(frozen=True)
class TrainStats:
    """What a run did and how fast."""

    steps: int
    tokens: int
    answer_tokens: int
    seconds: float
    threads: int
    first_loss: float
    last_loss: float
    losses: list[float] = field(repr=False, default_factory=list)

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "tokens": self.tokens,
            "answer_tokens": self.answer_tokens,
            "seconds": round(self.seconds, 2),
            "tokens_per_s": round(self.tokens_per_s, 1),
            "threads": self.threads,
            "first_loss": round(self.first_loss, 4),
            "last_loss": round(self.last_loss, 4),
        }


def schedule(examples: int, options: LoraOptions) -> list[int]:
    """Example order: shuffled afresh each epoch, repeatable from the seed."""
    rng = random.Random(options.seed)
    order: list[int] = []
    while len(order) < options.total_steps(examples):
        epoch = list(range(examples))
        rng.shuffle(epoch)
        order.extend(epoch)
    return order[: options.total_steps(examples)]


def _mean_tail(values: Sequence[float], n: int = 10) -> float:
    tail = values[-n:]
    return sum(tail) / len(tail) if tail else float("nan")


def train_lora(
    base: TrainingBase,
    examples: Sequence[Example],
    options: LoraOptions,
    progress: ProgressCallback = lambda _: None,
    should_stop: Callable[[], bool] = lambda: False,
) -> tuple[LoraWeights, TrainStats]:
    """Train LoRA pairs on `examples`; the base model is left as it was."""
    import torch
    from peft import LoraConfig, get_peft_model

    from assistant.llm.llama import default_threads

    if not examples:
        raise TrainError("there are no examples to train on")
    options.check()
    threads = options.threads or default_threads()
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    # Denormal floats make CPU matmuls many times slower as small LoRA updates decay.
    torch.set_flush_denormal(True)
    torch.manual_seed(options.seed)
    config = LoraConfig(
        r=options.rank,
        lora_alpha=options.lora_alpha,
        target_modules=list(TARGET_MODULES),
        lora_dropout=0.0,
        bias="none",
    )
    with warnings.catch_warnings():
        # peft calls a transformers method that transformers 5 marks deprecated.
        warnings.simplefilter("ignore", FutureWarning)
        model = get_peft_model(base.model, config)
    try:
        stats = _run(
            model, examples, options, threads=threads, progress=progress, should_stop=should_stop
        )
        weights = _extract(model, options)
    finally:
        model.unload()
        torch.set_num_threads(previous_threads)
    return weights, stats


def _run(
    model: Any,
    examples: Sequence[Example],
    options: LoraOptions,
    *,
    threads: int,
    progress: ProgressCallback,
    should_stop: Callable[[], bool],
) -> TrainStats:
    import torch
    import torch.nn.functional as F

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=options.lr, weight_decay=0.0)
    order = schedule(len(examples), options)
    losses: list[float] = []
    tokens = answer_tokens = 0
    started = time.perf_counter()
    progress(TrainProgress("train", "Training…", 0, len(order)))
    for step, index in enumerate(order, 1):
        if should_stop():
            raise TrainingStopped("training stopped", "nothing was written or enabled")
        example = examples[index]
        ids = torch.tensor([example.ids])
        start = len(example.prompt_ids) - 1
        keep = torch.arange(start, start + len(example.answer_ids))
        logits = model(input_ids=ids, logits_to_keep=keep, use_cache=False).logits[0]
        loss: Any = F.cross_entropy(logits.float(), torch.tensor(example.answer_ids))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, options.max_grad_norm)
        optimizer.step()
        losses.append(float(loss.item()))
        tokens += len(example.ids)
        answer_tokens += len(example.answer_ids)
        elapsed = time.perf_counter() - started
        progress(
            TrainProgress(
                "train",
                step=step,
                steps=len(order),
                loss=_mean_tail(losses),
                tokens_per_s=tokens / elapsed,
                eta_s=elapsed / step * (len(order) - step),
            )
        )
    return TrainStats(
        steps=len(order),
        tokens=tokens,
        answer_tokens=answer_tokens,
        seconds=time.perf_counter() - started,
        threads=threads,
        first_loss=losses[0],
        last_loss=_mean_tail(losses),
        losses=losses,
    )


def _extract(model: Any, options: LoraOptions) -> LoraWeights:
    """Copy out each module's (A, B) as float32 arrays, keyed by its transformers name."""
    found: dict[str, dict[str, Matrix]] = {}
    for name, param in model.named_parameters():
        for part in ("lora_A", "lora_B"):
            marker = f".{part}."
            if marker in name:
                module = name.split(marker)[0].removeprefix("base_model.model.")
                found.setdefault(module, {})[part] = param.detach().to("cpu").float().numpy().copy()
    pairs = {m: (ab["lora_A"], ab["lora_B"]) for m, ab in found.items()}
    if not pairs:
        raise TrainError("training produced no LoRA weights (no target modules matched)")
    return LoraWeights(options.rank, options.lora_alpha, pairs)
