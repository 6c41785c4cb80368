"""`assistant train` and `assistant adapters`: the optional weights loop on the command line.

Training needs the `[train]` extra; without it the command says how to install it.
Progress and the ETA go to stderr (a rewritten line on a terminal, a line every few
seconds otherwise), so `--json` keeps stdout to one document. SIGTERM is treated like
Ctrl+C, so a `kill` also removes the unfinished adapter on the way out.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TextIO

from assistant.cli.shell import setup
from assistant.weights.train.options import LoraOptions
from assistant.weights.train.progress import TrainProgress

if TYPE_CHECKING:
    from assistant.cli.shell import Subcommands

_DEFAULTS = LoraOptions()


def add_train_commands(sub: Subcommands) -> None:
    """Register `train` and `adapters` on the top-level subparsers."""
    train = sub.add_parser(
        "train", help="train a LoRA adapter on a dataset export (needs the [train] extra)"
    )
    train.add_argument(
        "--export", metavar="DIR", help="export folder (default: the newest in <data>/exports)"
    )
    train.add_argument(
        "--epochs",
        type=int,
        default=_DEFAULTS.epochs,
        help="passes over the training rows (default %(default)s)",
    )
    train.add_argument(
        "--rank", type=int, default=_DEFAULTS.rank, help="LoRA rank (default %(default)s)"
    )
    train.add_argument("--alpha", type=int, default=0, help="LoRA alpha (default 2 x rank)")
    train.add_argument(
        "--steps", type=int, default=0, help="optimizer steps (default: epochs x rows)"
    )
    train.add_argument(
        "--lr", type=float, default=_DEFAULTS.lr, help="learning rate (default %(default)s)"
    )
    train.add_argument("--threads", type=int, default=0, help="CPU threads (default: all cores)")
    train.add_argument("--name", default="", help="adapter name (default: lora-<time>)")
    train.add_argument("--json", action="store_true", help="print one JSON document")

    adapters = sub.add_parser("adapters", help="list, enable, disable or remove LoRA adapters")
    actions = adapters.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="trained adapters; * marks the enabled one")
    listing.add_argument("--json", action="store_true")
    on = actions.add_parser("enable", help="load this adapter from the next chat on")
    on.add_argument("name")
    on.add_argument("--json", action="store_true")
    off = actions.add_parser("disable", help="run the chat on the base model alone")
    off.add_argument("--json", action="store_true")
    rm = actions.add_parser("remove", help="delete an adapter")
    rm.add_argument("name")
    rm.add_argument("--yes", action="store_true", help="do not ask for confirmation")


class ProgressPrinter:
    """Training progress on stderr: one rewritten line on a TTY, else a line now and then."""

    def __init__(self, stream: TextIO, every_s: float = 5.0) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.every_s = every_s
        self._last = 0.0
        self._stage = ""

    def __call__(self, event: TrainProgress) -> None:
        line = event.line()
        if not line:
            return
        if self.tty:
            print(f"\r\033[K{line}", end="", file=self.stream, flush=True)
            return
        now = time.monotonic()
        last_step = event.steps and event.step == event.steps
        if event.stage != self._stage or now - self._last >= self.every_s or last_step:
            print(line, file=self.stream, flush=True)
            self._last, self._stage = now, event.stage

    def finish(self) -> None:
        if self.tty:
            print("\r\033[K", end="", file=self.stream, flush=True)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt for the duration, so cleanup code runs."""

    def interrupt(_sig: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def train_command(args: argparse.Namespace, model: str | None) -> int:
    """`assistant train`."""
    from assistant.weights.train.run import TrainRequest, run_training

    env = setup(model)
    options = LoraOptions(
        rank=args.rank,
        alpha=args.alpha,
        epochs=args.epochs,
        steps=args.steps,
        lr=args.lr,
        threads=args.threads or env.settings.threads,
    )
    request = TrainRequest(Path(args.export) if args.export else None, options, args.name)
    printer = ProgressPrinter(sys.stderr)
    try:
        with sigterm_as_interrupt():
            result = run_training(env, request, printer)
    except KeyboardInterrupt:
        printer.finish()
        print("training interrupted: no adapter was written or enabled", file=sys.stderr)
        raise
    finally:
        printer.finish()
    if args.json:
        print(json.dumps(result.as_dict()))
        return 0
    stats = result.stats
    print(f"adapter {result.adapter.name}: {result.adapter.gguf}")
    print(
        f"trained {stats.steps} steps on {stats.tokens} tokens in {stats.seconds:.0f}s "
        f"({stats.tokens_per_s:.0f} tok/s), loss {stats.first_loss:.3f} -> {stats.last_loss:.3f}"
    )
    for reason in result.evaluation.reasons:
        print(f"  {reason}")
    if result.enabled:
        print("enabled: the chat loads it from its next start (`assistant adapters disable`)")
    else:
        print(f"not enabled; to use it anyway: assistant adapters enable {result.adapter.name}")
    return 0


def adapters_command(args: argparse.Namespace, model: str | None) -> int:
    """`assistant adapters list|enable|disable|remove`."""
    from assistant.weights import adapters

    env = setup(model)
    paths = env.paths
    if args.action == "list":
        current = adapters.enabled_name(paths)
        rows = [a.as_dict(a.name == current) for a in adapters.list_adapters(paths)]
        if args.json:
            print(json.dumps(rows))
        for row in [] if args.json else rows:
            mark = "*" if row["enabled"] else " "
            verdict = "won" if row["wins"] else "lost"
            print(f"{mark} {row['name']}  {str(row['created_at'])[:16]}  {verdict}  {row['path']}")
        return 0
    if args.action == "enable":
        adapter = adapters.enable(paths, args.name)
        if args.json:
            print(json.dumps({"enabled": adapter.name}))
        else:
            print(f"enabled {adapter.name}: the chat loads it from its next start")
        if not adapter.won:
            print("note: it did not beat the base model in its evaluation", file=sys.stderr)
        return 0
    if args.action == "disable":
        previous = adapters.disable(paths)
        if args.json:
            print(json.dumps({"enabled": None, "disabled": previous}))
        else:
            print(f"disabled {previous}" if previous else "no adapter was enabled")
        return 0
    from assistant.cli.forget import confirm

    adapter = adapters.get_adapter(paths, args.name)
    if not args.yes and not confirm(f"Delete adapter {adapter.name}?"):
        print("nothing deleted", file=sys.stderr)
        return 1
    adapters.remove(paths, adapter.name)
    print(f"deleted {adapter.name}")
    return 0


def _export(args: argparse.Namespace, model: str | None) -> int:
    from assistant.cli.shell import progress_printer
    from assistant.compose import build_assistant
    from assistant.weights.dataset_export import export_dataset

    env = setup(model)
    assistant = build_assistant(env)
    out = Path(args.out) if args.out else None
    quiet = args.json or not sys.stderr.isatty()
    result = export_dataset(env, assistant, out, progress_printer(quiet))
    if not quiet:
        print("\r\033[K", end="", file=sys.stderr)
    if args.json:
        print(json.dumps({"path": str(result.path), "counts": result.counts}))
    else:
        print(f"exported {result.counts['sft']} SFT rows, {result.counts['dpo']} pairs")
        print(result.path)
    return 0
