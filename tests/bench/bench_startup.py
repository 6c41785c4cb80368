"""Start-up and resident memory: what the user waits for before typing.

Each round starts a fresh process (alternating with the interpreter floor,
`python -c pass`, in the same run) and reads its timestamps from a pipe:
- `assistant --help` to exit (target <= 0.3 s);
- the TUI, headless, from process start to the first painted frame with the input
  focused (target <= 1.0 s), and on to model + embedder ready;
- the resident memory (RSS) of the app once both are loaded: its own process plus the
  model's child process (`rss_model_process_mib`), an upper bound since shared
  libraries count in both.

Run: `.venv/bin/python -m tests.bench.bench_startup [--rounds 5]`.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.report import write_result

EXE = str(Path(sys.executable).with_name("assistant"))
CHILD = """
import os, sys, time
out = os.fdopen(int(sys.argv[1]), "w", buffering=1)
from assistant.tui.prompt import PromptArea
from assistant.compose import build_assistant, load_environment
from assistant.tui import app as module

class Probe(module.AssistantApp):
    CSS_PATH = os.path.join(os.path.dirname(module.__file__), "app.tcss")

    def on_ready(self) -> None:
        out.write(f"painted {time.perf_counter()} {isinstance(self.focused, PromptArea)}\\n")

    def on_model_ready(self) -> None:  # Textual then runs the app's own handler too
        child = getattr(self.assistant.backend, "pid", None)
        model = rss(child) if child else 0
        out.write(f"ready {time.perf_counter()} {rss('self') + model} {model}\\n")
        self.exit()

def rss(pid):
    with open(f"/proc/{pid}/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmRSS"))

env = load_environment()
Probe(env, build_assistant(env)).run(headless=True)
"""


def _timed_process(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, env=env, capture_output=True, check=True)
    return time.perf_counter() - start


def _tui_round(env: dict[str, str]) -> dict[str, float]:
    read, write = os.pipe()
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(write)],
        env=env,
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    lines = []
    with os.fdopen(read) as pipe:
        lines = [line.split() for line in pipe]
    proc.wait(timeout=300)
    stamps = {line[0]: line for line in lines}
    assert stamps["painted"][2] == "True", "the input was not focused at first paint"
    # perf_counter is system-wide monotonic on Linux: the child's stamps compare.
    return {
        "first_paint_s": float(stamps["painted"][1]) - start,
        "model_ready_s": float(stamps["ready"][1]) - start,
        "rss_mib": int(stamps["ready"][2]) / 1024,
        "rss_model_process_mib": int(stamps["ready"][3]) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    runs: dict[str, list[float]] = {
        "python_floor_s": [],
        "help_s": [],
        "first_paint_s": [],
        "model_ready_s": [],
        "rss_mib": [],
        "rss_model_process_mib": [],
    }
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "ASSISTANT_HOME": home}
        _tui_round(env)  # first start reassembles the default model: not timed
        for _ in range(args.rounds):
            runs["python_floor_s"].append(_timed_process([sys.executable, "-c", "pass"], env))
            runs["help_s"].append(_timed_process([EXE, "--help"], env))
            for key, value in _tui_round(env).items():
                runs[key].append(value)
    medians = {k: round(statistics.median(v), 3) for k, v in runs.items()}
    write_result(
        "bench_startup",
        {
            "rounds": args.rounds,
            "median": medians,
            "runs": {k: [round(x, 3) for x in v] for k, v in runs.items()},
        },
    )
    print(f"{'measure':24}{'median':>10}{'target':>10}")
    targets = {"help_s": "<= 0.3", "first_paint_s": "<= 1.0"}
    for key, value in medians.items():
        print(f"{key:24}{value:10.3f}{targets.get(key, ''):>10}")


if __name__ == "__main__":
    main()
