"""`assistant train` from start to finish: export in, evaluated adapter out.

The order puts every cheap check before the minute-long model load: the options, the
export, the model's architecture, the extra, the tokenizer agreement. The adapter is written
into a `.partial-<name>` folder and renamed only once it is complete and evaluated,
so an interrupted run (Ctrl+C, kill, a crash) never leaves a half-written adapter
where the chat would load it; leftovers are removed when the next run starts. A lock
keeps two runs from cleaning up after each other.
"""

import contextlib
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.core.records import utc_now
from assistant.llm.catalog import resolve_model_path
from assistant.llm.gguf import GGUFInfo, read_gguf
from assistant.system.environment import Environment
from assistant.system.paths import ensure_private_dir
from assistant.weights.adapters import (
    ADAPTER_FILE,
    META_FILE,
    PARTIAL_PREFIX,
    Adapter,
    adapters_dir,
    enable,
    model_sha256,
    write_json,
)
from assistant.weights.train.base import (
    TrainingBase,
    check_architecture,
    load_model,
    load_tokenizer,
    require_train_extra,
)
from assistant.weights.train.dataset import Export, latest_export, load_export
from assistant.weights.train.errors import TrainError
from assistant.weights.train.evaluate import (
    EvalSets,
    Evaluation,
    evaluate,
    normalized,
    regression_rows,
)
from assistant.weights.train.examples import (
    MAX_EXAMPLE_TOKENS,
    Example,
    LlamaVocab,
    check_tokenizer,
    hf_encoder,
    tokenize_rows,
)
from assistant.weights.train.gguf_adapter import write_adapter
from assistant.weights.train.lora import TARGET_MODULES, TrainStats, train_lora
from assistant.weights.train.options import LoraOptions
from assistant.weights.train.progress import ProgressCallback, TrainProgress, stage_reporter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainRequest:
    """What `assistant train` was asked to do."""

    export: Path | None = None
    options: LoraOptions = field(default_factory=LoraOptions)
    name: str = ""


@dataclass(frozen=True)
class TrainResult:
    """The adapter written, its evaluation, and whether it was enabled."""

    adapter: Adapter
    enabled: bool
    evaluation: Evaluation
    stats: TrainStats
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.adapter.name,
            "path": str(self.adapter.gguf),
            "enabled": self.enabled,
            "evaluation": self.evaluation.as_dict(),
            "training": self.stats.as_dict(),
            "seconds": round(self.seconds, 1),
        }


@dataclass(frozen=True)
class _Prepared:
    export: Export
    info: GGUFInfo
    train: list[Example]
    sets: EvalSets
    stop: tuple[str, ...]
    skipped: int
    tokenizer: Any


@contextlib.contextmanager
def training_lock(root: Path) -> Iterator[None]:
    """Hold `<adapters>/.lock` for the run; a second run is refused, not queued."""
    try:
        import fcntl
    except ImportError:  # no flock (Windows): one run at a time is then up to the user
        yield
        return
    with (root / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise TrainError(
                "another `assistant train` is running", "wait for it to finish"
            ) from None
        yield


def clean_partials(root: Path) -> list[Path]:
    """Remove what interrupted runs left behind; returns the removed folders."""
    removed = [p for p in root.glob(f"{PARTIAL_PREFIX}*") if p.is_dir()]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
        log.info("removed the unfinished adapter %s", path)
    return removed


def new_name(root: Path) -> str:
    """`lora-YYYYMMDD-HHMMSS`, with a suffix when two runs share a second."""
    stem = utc_now().strftime("lora-%Y%m%d-%H%M%S")
    name, n = stem, 1
    while (root / name).exists() or (root / f"{PARTIAL_PREFIX}{name}").exists():
        n += 1
        name = f"{stem}-{n}"
    return name


def _check_name(root: Path, name: str) -> str:
    if not name or name.startswith(".") or any(c in name for c in "/\\:"):
        raise TrainError(f"`{name}` cannot name an adapter", "use letters, digits, - and _")
    if (root / name).exists():
        raise TrainError(f"an adapter called `{name}` already exists", "pick another --name")
    return name


def _prepare(
    env: Environment,
    info: GGUFInfo,
    export: Export,
    progress: ProgressCallback,
    base: TrainingBase | None,
) -> _Prepared:
    progress(TrainProgress("prepare", "Rendering and tokenizing the examples…"))
    vocab = LlamaVocab(info, env.settings.chat_template)
    try:
        train, long_train = tokenize_rows(export.train, vocab)
        held, long_held = tokenize_rows(export.held_out, vocab)
        regression, _ = tokenize_rows(regression_rows(env.settings.system_prompt), vocab)
        if not train:
            raise TrainError(
                f"every training row is longer than {MAX_EXAMPLE_TOKENS} tokens",
                "export shorter conversations",
            )
        progress(TrainProgress("load", "Reading the tokenizer into transformers…"))
        tokenizer = base.tokenizer if base else load_tokenizer(info)
        progress(TrainProgress("prepare", "Checking that both tokenizers agree…"))
        check_tokenizer([*train, *held, *regression], hf_encoder(tokenizer), vocab)
        stop = vocab.template.stop
    finally:
        vocab.close()
    corrections = [e for e in train if e.row.is_correction]
    answers = frozenset(normalized(e.row.answer) for e in train)
    sets = EvalSets(held, regression, corrections, answers)
    return _Prepared(export, info, train, sets, stop, long_train + long_held, tokenizer)


def _metadata(
    name: str,
    prepared: _Prepared,
    *,
    sha256: str,
    options: LoraOptions,
    stats: TrainStats,
    evaluation: Evaluation,
) -> dict[str, Any]:
    info, export = prepared.info, prepared.export
    return {
        "format": "assistant-adapter",
        "version": 1,
        "name": name,
        "created_at": utc_now().isoformat(),
        "base_model": {
            "path": str(info.path),
            "name": info.name,
            "architecture": info.architecture,
            "sha256": sha256,
            "size": info.size_bytes,
        },
        "export": {
            "path": str(export.path),
            "created_at": export.created_at,
            "train_rows": len(prepared.train),
            "held_out_rows": len(prepared.sets.held_out),
            "skipped_too_long": prepared.skipped,
        },
        # Ids, not text: a later delete can find the adapters its messages trained.
        "source_message_ids": export.manifest.get("source_message_ids", []),
        "lora": {
            "rank": options.rank,
            "alpha": options.lora_alpha,
            "targets": list(TARGET_MODULES),
            "dtype": "f32",
            "epochs": options.epochs,
            "steps": stats.steps,
            "lr": options.lr,
            "seed": options.seed,
        },
        "training": stats.as_dict(),
        "evaluation": evaluation.as_dict(),
    }


def run_training(
    env: Environment,
    request: TrainRequest,
    progress: ProgressCallback = lambda _: None,
    should_stop: Callable[[], bool] = lambda: False,
    base: TrainingBase | None = None,
) -> TrainResult:
    """Train, write, evaluate and (if it wins) enable an adapter.

    `base` lets a caller that trains repeatedly (tests, the benchmark) load the model
    once; it must be the configured model.
    """
    started = time.perf_counter()
    if env.settings.backend != "llama":
        # `model` names the server's model then, and an adapter is for a local GGUF.
        raise TrainError(
            "training needs the chat model's GGUF on this machine; with the "
            f"`{env.settings.backend}` backend the model runs on the server",
            "train where the GGUF is: `ASSISTANT_BACKEND=llama assistant --model PATH train`",
        )
    request.options.check()
    export = load_export(request.export or latest_export(env.paths))
    model_path = resolve_model_path(
        env.settings.model, env.paths, stage_reporter(progress, "prepare")
    )
    info = read_gguf(model_path)
    check_architecture(info)
    require_train_extra()  # imports torch and transformers: seconds, so after the cheap checks
    if base is not None and base.path.resolve() != model_path.resolve():
        raise TrainError(f"the preloaded model is {base.path}, not the configured {model_path}")
    root = ensure_private_dir(adapters_dir(env.paths))
    with training_lock(root):
        clean_partials(root)
        name = _check_name(root, request.name) if request.name else new_name(root)
        prepared = _prepare(env, info, export, progress, base)
        if base is None:
            progress(TrainProgress("load", f"Loading {info.name} (dequantizing, ~1 minute)…"))
            base = TrainingBase(info, prepared.tokenizer, load_model(info))
        weights, stats = train_lora(base, prepared.train, request.options, progress, should_stop)
        partial = root / f"{PARTIAL_PREFIX}{name}"
        partial.mkdir(mode=0o700)
        try:
            progress(TrainProgress("write", "Writing the adapter…"))
            write_adapter(
                partial / ADAPTER_FILE,
                weights,
                info.architecture,
                base.n_layers,
                name,
                heads=base.heads,
            )
            sha256 = model_sha256(model_path, stage_reporter(progress, "write"))
            evaluation = evaluate(
                model_path,
                partial / ADAPTER_FILE,
                prepared.sets,
                stop=prepared.stop,
                threads=stats.threads,
                progress=progress,
            )
            meta = _metadata(
                name,
                prepared,
                sha256=sha256,
                options=request.options,
                stats=stats,
                evaluation=evaluation,
            )
            write_json(partial / META_FILE, meta)
            partial.rename(root / name)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
    adapter = Adapter(name, root / name, meta)
    if evaluation.wins:
        enable(env.paths, name)
    progress(TrainProgress("done", f"Adapter {name} written"))
    return TrainResult(adapter, evaluation.wins, evaluation, stats, time.perf_counter() - started)
