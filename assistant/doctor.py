"""`assistant doctor`: check each part the app needs and say what is wrong and what to do."""

from collections.abc import Callable
from dataclasses import dataclass

from assistant.compose import Environment, build_assistant
from assistant.core.errors import AssistantError, StoreError


@dataclass(frozen=True)
class Check:
    """The outcome of one check."""

    name: str
    ok: bool
    detail: str
    hint: str = ""

    def as_dict(self) -> dict[str, str | bool]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail, "hint": self.hint}


def _run(name: str, probe: Callable[[], str]) -> Check:
    try:
        return Check(name, True, probe())
    except AssistantError as exc:
        return Check(name, False, exc.message, exc.hint)
    except Exception as exc:  # doctor reports whatever breaks, it must not crash itself
        return Check(name, False, f"{type(exc).__name__}: {exc}", "see the log file")


def run_checks(env: Environment) -> list[Check]:
    """Check config, server (remote backend), model, store, embedder and GPU.

    Each failure is reported with its hint, not raised.
    """
    assistant = build_assistant(env)

    def model() -> str:
        from assistant.core.ports.chat import ChatMessage, GenerationParams

        backend = assistant.load()
        text = "".join(
            backend.stream(
                [ChatMessage("user", "Say hi.")], GenerationParams(max_tokens=4), lambda: False
            )
        )
        usage = backend.last_usage()
        return (
            f"{backend.name}, context {backend.context_length} tokens, "
            f"generated {usage.completion_tokens} tokens ({text.strip()[:20]!r})"
        )

    def store() -> str:
        version = assistant.store.schema_version()
        count = len(assistant.conversations())
        return f"{env.paths.store} (schema v{version}, {count} conversations)"

    def embedder() -> str:
        from assistant.embedder import load_embedder, packaged_model_dir

        embedder = load_embedder()
        vector = embedder.embed(["doctor check"])[0]
        return (
            f"all-MiniLM-L6-v2 from {packaged_model_dir()}, {len(vector)} dimensions, "
            f"on {embedder.backend}"
        )

    def server() -> str:
        from assistant.llm.remote import ESTIMATE, RemoteBackend

        backend = assistant.load()
        assert isinstance(backend, RemoteBackend)
        listed = backend.model in backend.served_models
        served = ", ".join(backend.served_models[:5]) or "no models"
        window = (
            "from the server"
            if backend.server_context
            else "from context_length: the server does not say, keep it at or below its window"
        )
        counts = backend.tokenizer
        if backend.tokenizer == ESTIMATE:
            counts += " (remote_tokenizer = true counts on the server)"
        return (
            f"{backend.client.base_url} answers; it serves {served}; using model "
            f"{backend.model}{'' if listed else ' (not listed: the server maps the name)'}; "
            f"context {backend.context_length} tokens {window}; token counts: {counts}"
        )

    def gpu() -> str:
        from assistant.llm.build import describe_build, describe_offload

        if env.settings.backend == "openai":
            return f"not used here: the model runs on the server ({describe_build()})"
        return f"{describe_build()}; {describe_offload(env.settings.gpu_layers)}"

    def disk() -> str:
        from assistant.system.disk import LOW_FREE_BYTES, free_bytes, human_size, tree_size
        from assistant.system.logs import LOG_BACKUPS, LOG_BYTES, log_files

        data = env.paths.data
        sizes = {
            "store": tree_size(env.paths.store),
            "log": sum(tree_size(p) for p in log_files(env.paths)),
            "exports": tree_size(data / "exports"),
            "adapters": tree_size(data / "adapters"),
            "model cache": tree_size(env.paths.cache),
        }
        free = free_bytes(data)
        report = ", ".join(f"{name} {human_size(n)}" for name, n in sizes.items())
        report += (
            f" (the log rotates at {human_size(LOG_BYTES)}, keeping {LOG_BACKUPS}); "
            f"{human_size(free)} free"
        )
        if free < LOW_FREE_BYTES:
            raise StoreError(
                f"only {human_size(free)} free for the data dir {data}: {report}",
                "free some disk space; `assistant forget` and `assistant adapters remove` "
                "delete for real",
            )
        return report

    remote = [_run("server", server)] if env.settings.backend == "openai" else []
    return [
        Check("config", True, str(env.paths.config_file)),
        *remote,
        _run("model", model),
        _run("store", store),
        _run("embedder", embedder),
        _run("gpu", gpu),
        _run("disk", disk),
    ]
