"""Does the adapter help? Base against base + adapter, measured in llama.cpp.

The comparison runs in the runtime the chat uses (llama.cpp, on the quantized base),
so it also catches an adapter that trained well in transformers but maps onto the
wrong tensors. Three measures:
- loss (and perplexity) on the answer tokens of the export's held-out rows,
- the same on a fixed regression set of generic questions shipped with the app
  (`regression.jsonl`), so an adapter that forgets how to answer anything else loses,
- exact match of greedy answers to corrections (`"source": "correction"` rows),
- parroting: greedy answers to the regression questions that repeat a trained answer
  word for word. A small adapter that learned one answer for everything can still
  lower both losses (it learned the style); this catches it.
"""

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.core.ports.chat import ChatMessage
from assistant.weights.train.dataset import SFTRow, parse_sft_row
from assistant.weights.train.errors import TrainError
from assistant.weights.train.examples import Example
from assistant.weights.train.progress import ProgressCallback, TrainProgress

REGRESSION_FILE = Path(__file__).with_name("regression.jsonl")
# How much worse (relative loss) the regression set may get before the adapter loses.
REGRESSION_TOLERANCE = 0.05
# Greedy answers cost a generation each (seconds on a CPU), so exact match looks at
# the first this many correction rows of each split.
MAX_MATCH_ROWS = 16
_EXTRA_TOKENS = 16


@dataclass(frozen=True)
class LossScore:
    """Mean negative log-likelihood per answer token over a set of rows."""

    rows: int
    tokens: int
    nll: float

    @property
    def loss(self) -> float | None:
        return self.nll / self.tokens if self.tokens else None

    def as_dict(self) -> dict[str, Any]:
        loss = self.loss
        return {
            "rows": self.rows,
            "tokens": self.tokens,
            "loss": None if loss is None else round(loss, 4),
            "perplexity": None if loss is None else round(math.exp(min(loss, 50.0)), 3),
        }


@dataclass(frozen=True)
class MatchScore:
    """How many greedy answers equal the expected answer (whitespace-normalized)."""

    rows: int
    matched: int

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "matched": self.matched}


@dataclass(frozen=True)
class Scores:
    """One model's results on every evaluation set."""

    held_out: LossScore
    regression: LossScore
    corrections: MatchScore
    trained_corrections: MatchScore
    parroted: MatchScore

    def as_dict(self) -> dict[str, Any]:
        return {
            "held_out": self.held_out.as_dict(),
            "regression": self.regression.as_dict(),
            "corrections_held_out": self.corrections.as_dict(),
            "corrections_trained": self.trained_corrections.as_dict(),
            "regression_parroting_trained_answers": self.parroted.as_dict(),
        }


@dataclass(frozen=True)
class Evaluation:
    """Base against adapter, and whether the adapter wins."""

    base: Scores
    adapter: Scores
    wins: bool
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "base": self.base.as_dict(),
            "adapter": self.adapter.as_dict(),
            "wins": self.wins,
            "reasons": list(self.reasons),
            "regression_tolerance": REGRESSION_TOLERANCE,
            "exact_match_max_rows": MAX_MATCH_ROWS,
        }


@dataclass(frozen=True)
class EvalSets:
    """The tokenized examples each measure runs on."""

    held_out: Sequence[Example]
    regression: Sequence[Example]
    trained_corrections: Sequence[Example]
    trained_answers: frozenset[str] = frozenset()

    def all(self) -> Iterable[Example]:
        yield from self.held_out
        yield from self.regression
        yield from self.trained_corrections


def regression_rows(system_prompt: str, path: Path = REGRESSION_FILE) -> list[SFTRow]:
    """The fixed regression set, asked under the app's system prompt as the chat would."""
    rows = []
    for index, line in enumerate(path.read_text("utf-8").splitlines()):
        if line.strip():
            row = parse_sft_row(index, json.loads(line))
            prompt = row.prompt
            if system_prompt:
                prompt = (ChatMessage("system", system_prompt), *prompt)
            rows.append(SFTRow(row.index, prompt, row.answer, "regression"))
    return rows


def normalized(text: str) -> str:
    return " ".join(text.split())


class LlamaScorer:
    """One llama.cpp model (optionally with an adapter) that scores and answers examples."""

    def __init__(self, model_path: Path, lora_path: Path | None, n_ctx: int, threads: int) -> None:
        import llama_cpp

        from assistant.llm.llama import cpu_extra_buffers_guard, route_llama_logs

        route_llama_logs()
        self._llm: Any
        try:
            with cpu_extra_buffers_guard():
                self._llm = llama_cpp.Llama(
                    model_path=str(model_path),
                    lora_path=str(lora_path) if lora_path else None,
                    n_ctx=n_ctx,
                    n_batch=n_ctx,
                    n_gpu_layers=0,
                    n_threads=threads,
                    n_threads_batch=threads,
                    logits_all=True,
                    seed=0,
                    verbose=False,
                )
            if lora_path and not self._llm._lora_adapter:  # see LlamaBackend._load
                self._llm.close()
                raise RuntimeError("llama.cpp could not read the adapter")
        except (ValueError, RuntimeError) as exc:
            raise TrainError(
                f"llama.cpp could not load {lora_path or model_path} for the evaluation: {exc}",
                "details are in the log; the adapter was not enabled",
            ) from None

    def nll(self, example: Example) -> float:
        """Summed negative log-likelihood of the answer tokens after the prompt."""
        import numpy as np

        self._llm.reset()
        self._llm.eval(example.ids)
        start = len(example.prompt_ids) - 1
        logits = np.asarray(
            self._llm.scores[start : start + len(example.answer_ids)], dtype=np.float64
        )
        top = logits.max(axis=1, keepdims=True)
        log_norm = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
        picked = logits[np.arange(len(example.answer_ids)), list(example.answer_ids)]
        return float((log_norm - picked).sum())

    def answer(self, example: Example, stop: Sequence[str]) -> str:
        """The greedy answer to the example's prompt."""
        out = self._llm.create_completion(
            prompt=list(example.prompt_ids),
            max_tokens=len(example.answer_ids) + _EXTRA_TOKENS,
            temperature=0.0,
            stop=list(stop),
        )
        return str(out["choices"][0]["text"])

    def close(self) -> None:
        self._llm.close()


def _losses(scorer: LlamaScorer, examples: Sequence[Example]) -> LossScore:
    tokens = sum(len(e.answer_ids) for e in examples)
    return LossScore(len(examples), tokens, sum(scorer.nll(e) for e in examples))


def _matches(scorer: LlamaScorer, examples: Sequence[Example], stop: Sequence[str]) -> MatchScore:
    matched = sum(normalized(scorer.answer(e, stop)) == normalized(e.row.answer) for e in examples)
    return MatchScore(len(examples), matched)


def _parroted(scorer: LlamaScorer, sets: EvalSets, stop: Sequence[str]) -> MatchScore:
    answers = [normalized(scorer.answer(e, stop)) for e in sets.regression]
    return MatchScore(len(answers), sum(a in sets.trained_answers for a in answers))


def score_model(scorer: LlamaScorer, sets: EvalSets, stop: Sequence[str]) -> Scores:
    """Every measure for one model."""
    held_corrections = [e for e in sets.held_out if e.row.is_correction]
    return Scores(
        held_out=_losses(scorer, sets.held_out),
        regression=_losses(scorer, sets.regression),
        corrections=_matches(scorer, held_corrections[:MAX_MATCH_ROWS], stop),
        trained_corrections=_matches(scorer, sets.trained_corrections[:MAX_MATCH_ROWS], stop),
        parroted=_parroted(scorer, sets, stop),
    )


def decide(base: Scores, adapter: Scores) -> tuple[bool, tuple[str, ...]]:
    """The adapter wins only if it is better on held-out rows and no worse elsewhere."""
    reasons, wins = [], True
    b, a = base.held_out.loss, adapter.held_out.loss
    if b is None or a is None:
        wins = False
        reasons.append("the export holds out no rows, so nothing unseen could be compared")
    elif a < b:
        reasons.append(f"held-out loss {b:.3f} -> {a:.3f}: better")
    else:
        wins = False
        reasons.append(f"held-out loss {b:.3f} -> {a:.3f}: not better")
    b, a = base.regression.loss, adapter.regression.loss
    if b is not None and a is not None:
        limit = b * (1 + REGRESSION_TOLERANCE)
        if a <= limit:
            reasons.append(f"regression loss {b:.3f} -> {a:.3f}: within tolerance")
        else:
            wins = False
            reasons.append(f"regression loss {b:.3f} -> {a:.3f}: worse than {limit:.3f}")
    for label, bm, am in (
        ("held-out corrections", base.corrections, adapter.corrections),
        ("trained corrections", base.trained_corrections, adapter.trained_corrections),
    ):
        if not bm.rows:
            continue
        verdict = "no worse" if am.matched >= bm.matched else "worse"
        wins = wins and am.matched >= bm.matched
        reasons.append(
            f"{label} exact: {bm.matched}/{bm.rows} -> {am.matched}/{am.rows}: {verdict}"
        )
    if adapter.parroted.matched > base.parroted.matched:
        wins = False
        reasons.append(
            f"answers {adapter.parroted.matched} of {adapter.parroted.rows} generic questions "
            "with a trained answer: overfit"
        )
    return wins, tuple(reasons)


def context_size(sets: EvalSets) -> int:
    """A context window that holds the longest example plus a little room to answer."""
    longest = max((len(e.ids) for e in sets.all()), default=0) + _EXTRA_TOKENS
    return max(256, -(-longest // 64) * 64)


def evaluate(
    model_path: Path,
    adapter_path: Path,
    sets: EvalSets,
    *,
    stop: Sequence[str],
    threads: int,
    progress: ProgressCallback = lambda _: None,
) -> Evaluation:
    """Score the base, then base + adapter, and decide."""
    n_ctx = context_size(sets)
    results = []
    for label, lora in (("base model", None), ("adapter", adapter_path)):
        progress(TrainProgress("evaluate", f"Evaluating the {label}…"))
        scorer = LlamaScorer(model_path, lora, n_ctx, threads)
        try:
            results.append(score_model(scorer, sets, stop))
        finally:
            scorer.close()
    wins, reasons = decide(results[0], results[1])
    return Evaluation(results[0], results[1], wins, reasons)
