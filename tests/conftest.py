"""Shared fixtures: an isolated ASSISTANT_HOME per test, the real model loaded once."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.compose import Environment, build_assistant, llama_loader, load_environment
from assistant.core import Assistant
from assistant.core.settings import Settings
from assistant.embedder import SentenceEmbedder, load_embedder
from assistant.llm.default_model import default_model_copy, gemma_model_path
from assistant.llm.fake import ScriptedBackend
from assistant.llm.gguf import read_gguf
from assistant.llm.llama import LlamaBackend, LoadOptions
from assistant.llm.process import ProcessBackend
from assistant.system.paths import resolve_paths
from tests.cli_helpers import cli_environment


def pytest_configure(config: pytest.Config) -> None:
    """Under `pytest -n N` (make test), give each worker its own share of the cores.

    A model process runs one thread per core it may use, and ggml's threads spin while
    they wait; two workers each decoding on every core slow both several times over.
    Pinned here, before any thread or child starts, a worker's model processes, torch
    and subprocesses inherit its share, so the workers never fight over one core.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if not worker.startswith("gw") or count < 2 or not hasattr(os, "sched_setaffinity"):
        return
    cpus = sorted(os.sched_getaffinity(0))
    share = cpus[int(worker[2:]) % count :: count]
    if share:
        os.sched_setaffinity(0, share)


# The slowest files by `pytest --durations=0` (the bundle's build, processes killed and
# restarted, TUI sessions, the model), queued first: `make test` hands whole files to
# its workers in collection order, so a slow file started last would leave one worker
# running it alone at the end.
SLOWEST_FIRST = (
    "test_package.py",
    "test_crash.py",
    "test_tui_memory.py",
    "test_privacy.py",
    "test_train.py",
    "test_tui_feedback.py",
    "test_shared_store.py",
    "test_real_model.py",
    "test_tui_daily.py",
    "test_mcp.py",
    "test_cli.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Queue the slowest files first (a stable sort: the order within a file stays)."""
    rank = {name: i for i, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


def _clear_assistant_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("ASSISTANT_"):
            monkeypatch.delenv(key)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ASSISTANT_HOME for this test."""
    _clear_assistant_env(monkeypatch)
    root = tmp_path / "home"
    monkeypatch.setenv("ASSISTANT_HOME", str(root))
    return root


@pytest.fixture
def env(home: Path) -> Environment:
    return load_environment()


@pytest.fixture
def fake() -> ScriptedBackend:
    return ScriptedBackend()


@pytest.fixture
def assistant(env: Environment, fake: ScriptedBackend, embedder: SentenceEmbedder) -> Assistant:
    """The Assistant on the scripted backend, the real embedder and a real store (files
    that need another set-up define their own `assistant`)."""
    a = build_assistant(env, fake, embedder)
    a.load()
    return a


@pytest.fixture(scope="session")
def embedder() -> SentenceEmbedder:
    """The real all-MiniLM-L6-v2 embedder, loaded once for the whole test session."""
    return load_embedder()


@pytest.fixture(scope="session")
def gguf_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded default model (SmolLM2-135M-Instruct) as the app runs it: the
    packaged file verified, and its Q8_0 copy made, once per session."""
    return default_model_copy(tmp_path_factory.mktemp("model-cache"))


@pytest.fixture(scope="session")
def gemma_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Gemma 3 270M, the previous default, assembled once for the whole test session."""
    return gemma_model_path(tmp_path_factory.mktemp("gemma-cache"))


@pytest.fixture(scope="session")
def real_backend(
    gguf_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ProcessBackend]:
    """The real default model as the app runs it: llama-cpp-python in a child process."""
    settings = Settings(model=str(gguf_path), temperature=0.0, seed=7, max_tokens=48)
    env = Environment(resolve_paths(str(tmp_path_factory.mktemp("real-home"))), settings)
    backend = llama_loader(env)(lambda _line: None)
    assert isinstance(backend, ProcessBackend)
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def llama_backend(gguf_path: Path) -> Iterator[LlamaBackend]:
    """The same model in this process, for tests of `LlamaBackend`'s own mechanics."""
    backend = LlamaBackend(read_gguf(gguf_path), LoadOptions(8192, -1, 0, ""))
    yield backend
    backend.close()


@pytest.fixture
def cli_env(home: Path, gguf_path: Path) -> dict[str, str]:
    """Environment variables for running the `assistant` command in `home`."""
    return cli_environment(home, gguf_path)


@pytest.fixture(autouse=True)
def _app_logger_as_found() -> Iterator[None]:
    """In-process CLI and TUI runs set up logging (file handler, propagate off, the
    notices' forward to a terminal or an app); undo it, so a later test's caplog still
    sees the app's records and no closed app is handed a notice."""
    import logging

    loggers = [logging.getLogger(name) for name in ("assistant", "assistant.notices")]
    found = [(log, log.handlers[:], log.propagate, log.level) for log in loggers]
    yield
    for log, handlers, propagate, level in found:
        for handler in log.handlers:
            if handler not in handlers:
                handler.close()
        log.handlers = handlers
        log.propagate = propagate
        log.setLevel(level)
