"""Running the `assistant` command for the CLI-level tests: in-process by default, as a
real subprocess where the process itself is what is tested."""

import os
import subprocess
import sys
from pathlib import Path

EXE = str(Path(sys.executable).with_name("assistant"))


def cli_environment(home: Path, gguf_path: Path) -> dict[str, str]:
    """The environment of a CLI run: an isolated home, the test model, short replies."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env |= {
        "ASSISTANT_HOME": str(home),
        "ASSISTANT_MODEL": str(gguf_path),
        "ASSISTANT_MAX_TOKENS": "24",
        "ASSISTANT_TEMPERATURE": "0",
    }
    return env


def run_subprocess(
    args: list[str], env: dict[str, str], stdin: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed `assistant` script as its own process: for what only a process
    shows (exit on a signal, raw stdin bytes, a network guard loaded by PYTHONPATH,
    several writers at once)."""
    return subprocess.run(  # noqa: PLW1510 (exit codes are asserted)
        [EXE, *args],
        input=stdin.decode("latin-1") if stdin is not None else None,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        encoding="latin-1",
    )


def assert_clean_error(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    assert "hint: " in result.stderr
    assert fragment in result.stderr


def run(
    args: list[str], env: dict[str, str], stdin: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    """A CLI run in this process: the same `main(argv)`, environment, stdin and captured
    output as `run_subprocess`, without the ~9 s a fresh `assistant` process spends
    importing the embedder stack (test_cli: 248 s as subprocesses, 33 s in-process, same
    23 tests). The model processes the command opened are closed after it, as its own
    exit would."""
    import contextlib
    import io
    import logging
    import traceback

    from assistant import cli, compose

    saved = dict(os.environ)
    built: list[object] = []
    real = compose.build_assistant

    def build(*a: object, **k: object) -> object:
        assistant = real(*a, **k)  # type: ignore[arg-type]
        built.append(assistant)
        return assistant

    # What `main` sets on the app's loggers (its log file, the notices' forward to
    # stderr, level, propagation) is put back after it, as a process exit would.
    loggers = [logging.getLogger(name) for name in ("assistant", "assistant.notices")]
    saved_loggers = [(log, log.handlers[:], log.level, log.propagate) for log in loggers]
    out, err = io.BytesIO(), io.BytesIO()
    out_t = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    err_t = io.TextIOWrapper(err, encoding="utf-8", write_through=True)
    old_stdin = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin or b""), encoding="utf-8")
    os.environ.clear()
    os.environ.update(env)
    compose.build_assistant = build  # type: ignore[assignment]
    try:
        with contextlib.redirect_stdout(out_t), contextlib.redirect_stderr(err_t):
            try:
                code = cli.main(args)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except Exception:
                traceback.print_exc()
                code = 1
    finally:
        compose.build_assistant = real  # type: ignore[assignment]
        os.environ.clear()
        os.environ.update(saved)
        sys.stdin = old_stdin
        for assistant in built:
            backend = getattr(assistant, "_backend", None)
            close = getattr(backend, "close", None)
            if callable(close):
                close()
        for log, handlers, level, propagate in saved_loggers:
            for handler in log.handlers[:]:
                if handler not in handlers:
                    log.removeHandler(handler)
                    handler.close()
            log.setLevel(level)
            log.propagate = propagate
    return subprocess.CompletedProcess(
        args, code, out.getvalue().decode("latin-1"), err.getvalue().decode("latin-1")
    )
