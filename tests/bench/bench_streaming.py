"""Streaming throughput through the real TUI, against bare llama-cpp-python.

All run the embedded Gemma 3 270M on this machine, the same user message (no system
prompt, learning off), greedy, the same seed and max tokens, alternating round by
round so that machine noise hits them alike:
- bare: `Llama.create_chat_completion(stream=True)` with `chat_format="gemma"` in a
  process of its own, as a user's script runs it (tests/bench/bare_llama.py); tokens
  over the time from the first streamed chunk to the last. Beside it, `bare*`: the
  same in the app's process, which holds Textual, torch and the app's heap, and where
  the model ran before it moved to a child process;
- core: `Assistant.send` with no UI (a new conversation each round), the model in its
  child process; tokens over the time from the first reply delta to the last;
- TUI: the real app driven headless (`run_test`), a new conversation each round; tokens
  over the time from the first chunk *rendered* to the final Markdown render done.
  Beside it, `TUI*`: the same app with the model in its own process (a `LlamaBackend`
  swapped in for the round), as the app ran before this release; the two alternate
  which goes first, and their paired ratio is what the child process gives.
  The app renders the final text when the core says the reply has ended, before the
  core stores it (`ReplyEnded`); `stored_after_ms` is how much later the stored reply
  arrives, which the user does not wait for. Reported beside it: `tui_stream`, up to
  the moment the whole reply is on screen as text (the end message arrives), the final
  render's own time, the CPU time of the UI thread over the round and over that window:
  on 2 cores that is what generation loses.
Besides the ratio of the medians, the median of each round's TUI/bare ratio: this
shared machine's speed drifts within a run, and a round's own pair drifts least.
Target: TUI at least 0.95 of bare.

Run: `.venv/bin/python -m tests.bench.bench_streaming [--rounds 9] [--max-tokens 128]`.
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from assistant.compose import build_assistant, load_environment
from assistant.core import ReplyDelta, ReplyEnded, TurnFinished
from assistant.llm.default_model import default_model_copy
from assistant.llm.gguf import read_gguf
from assistant.llm.llama import LlamaBackend, LoadOptions
from assistant.tui import app as app_module
from assistant.tui.app import AssistantApp
from assistant.tui.prompt import PromptArea
from tests.bench.bare_llama import PROMPT, bare_round
from tests.bench.bare_llama import load as load_bare
from tests.bench.report import write_result
from tests.tui_helpers import settle


class TimedApp(AssistantApp):
    """The real app, stamping when the first chunk and the final reply are rendered.

    Each turn event reaches the app's method of its name (`reply_delta`, `reply_ended`,
    `turn_finished`); these stamp around the app's own.
    """

    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))
    first_rendered = 0.0
    finish_began = 0.0
    done_rendered = 0.0
    stored_at = 0.0
    window_cpu = 0.0  # the UI thread's CPU seconds from the first chunk to done
    tokens = 0
    streamed = ""  # the text the reply showed while it streamed

    def reply_delta(self, event: ReplyDelta) -> None:
        super().reply_delta(event)
        if not self.first_rendered:
            self.first_rendered = time.perf_counter()
            self.window_cpu = time.thread_time()

    async def reply_ended(self, event: ReplyEnded) -> None:
        self.finish_began = time.perf_counter()
        if self._reply is not None:
            self.streamed = self._reply.live.text
        await super().reply_ended(event)
        self.done_rendered = time.perf_counter()
        self.window_cpu = time.thread_time() - self.window_cpu

    async def turn_finished(self, turn: TurnFinished) -> None:
        self.stored_at = time.perf_counter()
        await super().turn_finished(turn)
        self.tokens = turn.usage.completion_tokens


class BareProcess:
    """Bare llama-cpp-python in its own process (tests/bench/bare_llama.py)."""

    def __init__(self, model: Path) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tests.bench.bare_llama", str(model)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._in, self._out = self._proc.stdin, self._proc.stdout
        assert self._out.readline().strip() == "ready"

    def round(self, max_tokens: int) -> tuple[float, int]:
        self._in.write(f"{max_tokens}\n")
        self._in.flush()
        tps, tokens = self._out.readline().split()
        return float(tps), int(tokens)

    def close(self) -> None:
        self._in.close()
        self._proc.wait(timeout=30)


def core_round(app: TimedApp) -> float:
    first = last = 0.0
    finished = None
    for event in app.assistant.send(PROMPT):
        if isinstance(event, ReplyDelta):
            last = time.perf_counter()
            first = first or last
        elif isinstance(event, TurnFinished):
            finished = event
    assert finished is not None
    return finished.usage.completion_tokens / (last - first)


async def tui_round(app: TimedApp, pilot: Pilot[None]) -> None:
    """One reply through the app, in a new conversation."""
    app.action_new_conversation()
    app.first_rendered = app.done_rendered = app.stored_at = 0.0
    await pilot.click("#prompt")
    prompt = app.query_one("#prompt", PromptArea)
    prompt.value = PROMPT
    # What Enter does. `pilot.press` then polls the process's CPU time at 50 Hz for up
    # to 2 s, waiting for an idle the generation never gives: test-harness work on the
    # UI thread that no user's terminal does.
    prompt.action_submit()
    await settle(pilot)


async def measured_tui_round(app: TimedApp, pilot: Pilot[None]) -> dict[str, float]:
    """One TUI round: its tokens/s and what its UI thread did."""
    ui_cpu = time.thread_time()  # this thread runs the app's event loop
    await tui_round(app, pilot)
    ui_cpu = time.thread_time() - ui_cpu
    reply = app.assistant.messages(app.conversation_id or "")[-1].content
    assert app.streamed.strip() == reply.strip(), "the TUI showed another text"
    return {
        "tui": app.tokens / (app.done_rendered - app.first_rendered),
        "tui_stream": app.tokens / (app.finish_began - app.first_rendered),
        "final_render_ms": 1000 * (app.done_rendered - app.finish_began),
        "stored_after_ms": 1000 * (app.stored_at - app.done_rendered),
        "ui_thread_cpu_ms": 1000 * ui_cpu,
        "ui_window_cpu_ms": 1000 * app.window_cpu,
        "tui_tokens": app.tokens,
    }


async def tui_rounds(
    app: TimedApp,
    rounds: int,
    bare: BareProcess,
    bare_here: Any,
    in_process: LlamaBackend,
    *,
    max_tokens: int,
) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {
        "bare": [],
        "bare_in_app_process": [],
        "core": [],
        "tui": [],
        "tui_in_process": [],
        "tui_stream": [],
        "final_render_ms": [],
        "stored_after_ms": [],
        "ui_thread_cpu_ms": [],
        "ui_window_cpu_ms": [],
        "bare_tokens": [],
        "tui_tokens": [],
    }
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await settle(pilot)
        child = app.assistant.backend
        for n in range(rounds):
            tps, tokens = bare.round(max_tokens)
            results["bare"].append(tps)
            results["bare_tokens"].append(tokens)
            results["bare_in_app_process"].append(bare_round(bare_here, max_tokens)[0])
            results["core"].append(core_round(app))
            for arm in ("tui", "tui_in_process") if n % 2 == 0 else ("tui_in_process", "tui"):
                # The bench swaps the model under the same app and assistant.
                app.assistant._backend = in_process if arm == "tui_in_process" else child
                figures = await measured_tui_round(app, pilot)
                if arm == "tui":
                    for key, value in figures.items():
                        results[key].append(value)
                else:
                    results[arm].append(figures["tui"])
            app.assistant._backend = child
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--max-tokens", type=int, default=128)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["ASSISTANT_HOME"] = home
        model = default_model_copy(load_environment().paths.cache)
        env = load_environment(
            model=str(model),
            learning="off",
            system_prompt="",
            max_tokens=args.max_tokens,
            temperature=0.0,
            seed=1,
        )
        bare = BareProcess(model)
        app = TimedApp(env, build_assistant(env))
        s = env.settings
        options = LoadOptions(s.context_length, s.gpu_layers, s.threads, s.chat_template)
        in_process = LlamaBackend(read_gguf(model), options)
        try:
            results = asyncio.run(
                tui_rounds(
                    app,
                    args.rounds,
                    bare,
                    load_bare(str(model)),
                    in_process,
                    max_tokens=args.max_tokens,
                )
            )
        finally:
            bare.close()
            in_process.close()
    bare_tps, tui_tps = statistics.median(results["bare"]), statistics.median(results["tui"])
    core_tps = statistics.median(results["core"])
    here_tps = statistics.median(results["bare_in_app_process"])
    stream_tps = statistics.median(results["tui_stream"])
    round_ratio = statistics.median(
        t / b for t, b in zip(results["tui"], results["bare"], strict=True)
    )
    in_process_tps = statistics.median(results["tui_in_process"])
    child_gain = statistics.median(
        t / i for t, i in zip(results["tui"], results["tui_in_process"], strict=True)
    )
    render_ms = statistics.median(results["final_render_ms"])
    stored_ms = statistics.median(results["stored_after_ms"])
    ui_cpu_ms = statistics.median(results["ui_thread_cpu_ms"])
    window_ms = statistics.median(results["ui_window_cpu_ms"])
    summary = {
        "model": model.name,
        "rounds": args.rounds,
        "max_tokens": args.max_tokens,
        "median_tokens_per_s": {
            "bare": round(bare_tps, 2),
            "bare_in_app_process": round(here_tps, 2),
            "core": round(core_tps, 2),
            "tui": round(tui_tps, 2),
            "tui_in_process": round(in_process_tps, 2),
            "tui_stream": round(stream_tps, 2),
        },
        "median_final_render_ms": round(render_ms, 1),
        "median_stored_after_ms": round(stored_ms, 1),
        "median_ui_thread_cpu_ms": round(ui_cpu_ms, 1),
        "median_ui_window_cpu_ms": round(window_ms, 1),
        "ratio_bare_in_app_process_over_bare": round(here_tps / bare_tps, 3),
        "ratio_core_over_bare": round(core_tps / bare_tps, 3),
        "ratio_tui_over_bare": round(tui_tps / bare_tps, 3),
        "ratio_tui_stream_over_bare": round(stream_tps / bare_tps, 3),
        "median_round_ratio_tui_over_bare": round(round_ratio, 3),
        "ratio_tui_in_process_over_bare": round(in_process_tps / bare_tps, 3),
        "median_round_ratio_tui_over_tui_in_process": round(child_gain, 3),
        "runs": {k: [round(x, 2) for x in v] for k, v in results.items()},
    }
    write_result("bench_streaming", summary)
    print(f"{'':8}{'tok/s':>8}")
    print(f"{'bare':8}{bare_tps:8.1f}   in a process of its own")
    print(f"{'bare*':8}{here_tps:8.1f}   ratio {here_tps / bare_tps:.3f} (in the app's process)")
    print(f"{'core':8}{core_tps:8.1f}   ratio {core_tps / bare_tps:.3f}")
    print(f"{'TUI':8}{tui_tps:8.1f}   ratio {tui_tps / bare_tps:.3f} (target >= 0.95)")
    print(f"{'':8}{'':8}   median of the rounds' ratios {round_ratio:.3f}")
    print(
        f"{'TUI*':8}{in_process_tps:8.1f}   ratio {in_process_tps / bare_tps:.3f} (model in the"
        f" app's process); TUI / TUI* per round {child_gain:.3f}"
    )
    print(f"{'stream':8}{stream_tps:8.1f}   ratio {stream_tps / bare_tps:.3f} (TUI before the")
    print(f"{'':8}{'':8}   final Markdown render, which took {render_ms:.0f} ms)")
    print(f"The stored reply arrived {stored_ms:.0f} ms after the final render (not waited for)")
    print(f"UI thread CPU per TUI round: {ui_cpu_ms:.0f} ms, {window_ms:.0f} ms while streaming")


if __name__ == "__main__":
    main()
