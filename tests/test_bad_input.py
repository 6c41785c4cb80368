"""Bad input the other test files do not cover: odd GGUFs, an unwritable or full data dir.

Each case runs the real `assistant` command and asks for what CLI.md promises: a message
and a hint on stderr, a non-zero exit, no traceback, and nothing stored before lost.
(A truncated or non-GGUF model, a bad config and bad stdin are in test_cli.py,
test_gguf.py and test_settings.py.)
"""

import json
import os
import resource
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from gguf import GGUFWriter

from tests.cli_helpers import EXE, assert_clean_error, cli_environment, run

pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
def seeded_home(gguf_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home holding one real conversation (one model load for the whole module)."""
    home = tmp_path_factory.mktemp("seeded") / "home"
    result = run(["chat", "--json", "remember the lighthouse"], cli_environment(home, gguf_path))
    assert result.returncode == 0, result.stderr
    return home


@pytest.fixture
def seeded(seeded_home: Path, tmp_path: Path, gguf_path: Path) -> dict[str, str]:
    """A private copy of the seeded home, and the environment that runs the CLI in it."""
    home = tmp_path / "home"
    shutil.copytree(seeded_home, home)
    return cli_environment(home, gguf_path)


def _titles(env: dict[str, str]) -> list[str]:
    result = run(["conversations", "list", "--json"], env)
    assert result.returncode == 0, result.stderr
    return [c["title"] for c in json.loads(result.stdout)]


def test_zero_byte_gguf(cli_env: dict[str, str], tmp_path: Path) -> None:
    empty = tmp_path / "empty.gguf"
    empty.touch()
    assert_clean_error(run(["chat", "--model", str(empty), "hi"], cli_env), "0 bytes")


def test_gguf_of_an_unknown_architecture(cli_env: dict[str, str], tmp_path: Path) -> None:
    """A well-formed GGUF that llama.cpp has no code for: the error names the architecture."""
    alien = tmp_path / "alien.gguf"
    writer = GGUFWriter(str(alien), "not-a-real-arch")
    writer.add_context_length(2048)
    writer.add_tensor("token_embd.weight", np.zeros((4, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    result = run(["chat", "--model", str(alien), "hi"], cli_env)
    assert_clean_error(result, "not-a-real-arch")


def test_ten_megabyte_stdin_is_refused_and_stores_nothing(seeded: dict[str, str]) -> None:
    """test_cli covers a 1 MB paste; 10 MB is the issue's size, and must not half-store."""
    result = run(["chat"], seeded, stdin=b"0123456789" * 1_048_576)
    assert_clean_error(result, "the limit is")
    assert _titles(seeded) == ["remember the lighthouse"]


@contextmanager
def _read_only(folder: Path) -> Iterator[None]:
    """Make `folder` read-only in a way that also stops root (these tests run as root here).

    A non-root user gets `chmod a-w` on the folder and everything in it. Root ignores
    permission bits, so for root the folder is bind-mounted onto itself and remounted
    read-only: writes then fail with EROFS, as on a read-only disk.
    """
    if os.geteuid() != 0:
        paths = [folder, *folder.rglob("*")]
        modes = {p: p.stat().st_mode for p in paths}
        for p in paths:
            p.chmod(modes[p] & ~0o222)
        try:
            yield
        finally:
            for p in paths:
                p.chmod(modes[p])
        return
    subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True)
        probe = folder / "probe"
        with pytest.raises(OSError):
            probe.write_text("x")  # proves the mount really refuses writes
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_read_only_data_dir(seeded: dict[str, str]) -> None:
    data = Path(seeded["ASSISTANT_HOME"]) / "data"
    with _read_only(data):
        result = run(["chat", "a second question"], seeded)
    assert_clean_error(result, "hint: ")
    assert "Read-only file system" in result.stderr or "Permission denied" in result.stderr
    assert _titles(seeded) == ["remember the lighthouse"]


def _no_writes() -> None:
    """In the child: a file-size limit of 0 bytes, so every write fails with EFBIG.

    The portable stand-in for a full disk (no mount, works for root and non-root).
    SIGXFSZ would kill the process on the first write; ignored, the write fails with an
    error instead. With nothing writable the first failure is Python's temporary-dir
    probe, before the store opens; a limit that lets start-up through and fails inside a
    LanceDB write still gets "unexpected error: lance error ..." (see the issue note).
    """
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def test_full_disk(seeded: dict[str, str]) -> None:
    result = subprocess.run(  # noqa: PLW1510 (the exit code is asserted)
        [EXE, "chat", "a second question"],
        capture_output=True,
        text=True,
        env=seeded,
        timeout=300,
        preexec_fn=_no_writes,
    )
    assert_clean_error(result, "disk is not full")
    assert "unexpected error" not in result.stderr
    assert _titles(seeded) == ["remember the lighthouse"]


def test_a_store_io_failure_is_a_message_and_a_hint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """LanceDB reports IO failures as RuntimeError('lance error: …'), not OSError."""
    from assistant import cli

    def failing_dispatch(*_args: object) -> int:
        raise RuntimeError("lance error: LanceError(IO): Permission denied (os error 13)\nat …")

    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path))
    monkeypatch.setattr(cli, "_dispatch", failing_dispatch)
    assert cli.main(["conversations", "list"]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith("error: the store could not be read or written: lance error")
    assert "hint: check that the data dir" in err
    assert "unexpected error" not in err and "Traceback" not in err
