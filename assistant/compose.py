"""The composition root: the one place that builds adapters and wires an Assistant.

The CLI, the TUI and the tests all call `build_assistant`; nothing else constructs a
backend or a store. Building is cheap: the model, the embedder and the database are
opened lazily, so the TUI can paint before any heavy import.
"""

import logging
from collections.abc import Callable
from dataclasses import replace

from assistant.core.errors import ModelError
from assistant.core.ports.chat import ChatBackend
from assistant.core.service import Assistant
from assistant.core.settings import Settings
from assistant.embedder import Embedder
from assistant.llm.choices import ModelChoice, model_choices
from assistant.system.environment import Environment, load_environment
from assistant.system.paths import ensure_private_dir

# Environment and load_environment live in assistant/system/environment.py; the shells
# and the tests take them from here, with build_assistant.
__all__ = [
    "Environment",
    "ModelChoice",
    "build_assistant",
    "chat_loader",
    "describe_backend",
    "llama_loader",
    "load_environment",
    "loader_for_model",
    "model_choices",
    "remote_loader",
    "uses_embedded_model",
]
log = logging.getLogger(__name__)


def llama_loader(env: Environment) -> Callable[[Callable[[str], None]], ChatBackend]:
    """A loader for the configured GGUF through llama.cpp, in a child process (see
    assistant/llm/process.py for why); imported only when called."""

    def load(progress: Callable[[str], None]) -> ChatBackend:
        from assistant.llm.catalog import catalog_label, resolve_model_path
        from assistant.llm.gguf import read_gguf
        from assistant.llm.llama import LoadOptions
        from assistant.llm.process import ProcessBackend
        from assistant.weights.adapters import adapter_for

        path = resolve_model_path(env.settings.model, env.paths, progress)
        progress(f"Reading {path.name}…")
        info = read_gguf(path)
        if label := catalog_label(env.settings.model):
            info = replace(info, metadata={**info.metadata, "general.name": label})
        adapter = adapter_for(env.paths, path, progress)
        progress(f"Loading {info.name} ({info.architecture})…")
        s = env.settings
        lora = adapter.gguf if adapter else None
        ensure_private_dir(env.paths.data)  # the child's stderr goes to the log file
        backend = ProcessBackend(
            info,
            LoadOptions(s.context_length, s.gpu_layers, s.threads, s.chat_template, lora),
            env.paths.log_file,
        )
        if backend.adapter_error:  # the child logged why; the app's log says what
            log.warning("%s", backend.adapter_error)
            progress(f"Warning: {backend.adapter_error}")
        log.info(
            "loaded %s: n_ctx=%d gpu_layers=%d threads=%d template=%s/%s adapter=%s",
            path,
            backend.context_length,
            backend.gpu_layers,
            backend.threads,
            backend.template.source,
            backend.template.name,
            backend.adapter_path,
        )
        return backend

    return load


def remote_loader(env: Environment) -> Callable[[Callable[[str], None]], ChatBackend]:
    """A loader for an OpenAI-compatible server at `base_url` (backend = "openai")."""

    def load(progress: Callable[[str], None]) -> ChatBackend:
        from assistant.llm.remote import RemoteBackend, RemoteOptions

        s = env.settings
        options = RemoteOptions(
            s.base_url, s.model, s.api_key, s.context_length, s.request_timeout, s.remote_tokenizer
        )
        return RemoteBackend(options, progress)

    return load


def chat_loader(env: Environment) -> Callable[[Callable[[str], None]], ChatBackend]:
    """The loader for the configured backend: llama.cpp, or a remote server."""
    return remote_loader(env) if env.settings.backend == "openai" else llama_loader(env)


def loader_for_model(
    env: Environment, model: str
) -> Callable[[Callable[[str], None]], ChatBackend]:
    """The loader for another model (a `model` setting value), for a switch mid-session."""
    return chat_loader(replace(env, settings=replace(env.settings, model=model)))


def describe_backend(settings: Settings) -> str:
    """One line naming where replies come from: llama.cpp here, or a remote server."""
    if settings.backend == "openai":
        model = settings.model or "the first one the server lists"
        return f"backend: remote OpenAI-compatible server at {settings.base_url}, model {model}"
    model = settings.model or "the embedded default (SmolLM2-135M-Instruct)"
    return f"backend: llama.cpp in a child process, model {model}"


def uses_embedded_model(settings: Settings) -> bool:
    """Whether replies come from the small model shipped inside the app."""
    if settings.backend == "openai":
        return False
    if not settings.model:
        return True
    try:
        from assistant.llm.catalog import load_catalog

        catalog = load_catalog()
    except ModelError:  # an unreadable catalog only costs this hint
        return False
    return any(e.embedded and settings.model in (e.name, e.file) for e in catalog)


def build_assistant(
    env: Environment | None = None,
    backend: ChatBackend | None = None,
    embedder: Embedder | None = None,
) -> Assistant:
    """Wire an Assistant: the LanceDB store in the data dir and the configured backend.

    Tests pass a ready `backend` (the scripted fake, or a shared real one) and may pass a
    shared real `embedder` so it loads once per test session.
    """
    from assistant.embedder import load_embedder
    from assistant.store.documents import LanceDocumentStore
    from assistant.store.lance import LanceStore
    from assistant.store.lance_db import LanceDatabase
    from assistant.store.memories import LanceMemoryStore
    from assistant.weights.copies import UserCopies

    env = env or load_environment()
    ensure_private_dir(env.paths.data)
    db = LanceDatabase(env.paths.store)
    store = LanceStore(db)
    memory_store = LanceMemoryStore(db)
    loader = chat_loader(env) if backend is None else (lambda _progress: backend)
    embedder_loader = load_embedder if embedder is None else (lambda: embedder)
    documents = LanceDocumentStore(db)
    return Assistant(
        env.settings,
        store,
        memory_store,
        loader,
        embedder_loader,
        document_store=documents,
        copies=UserCopies(env),
    )
