"""Running the `assistant` command as a real subprocess, for the CLI-level tests."""

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


def run(
    args: list[str], env: dict[str, str], stdin: bytes | None = None
) -> subprocess.CompletedProcess[str]:
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
