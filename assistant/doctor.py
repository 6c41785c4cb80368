"""`assistant doctor`: check each part the app needs and say what is wrong and what to do."""

from collections.abc import Callable
from dataclasses import dataclass

from assistant.compose import Environment, build_assistant
from assistant.errors import AssistantError


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
    """Check config, model, store, embedder and GPU; each failure is reported, not raised."""
    assistant = build_assistant(env)

    def model() -> str:
        from assistant.llm.backend import ChatMessage, GenerationParams

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
        from assistant.embedding import load_embedder, packaged_model_dir

        vector = load_embedder().embed(["doctor check"])[0]
        return f"all-MiniLM-L6-v2 from {packaged_model_dir()}, {len(vector)} dimensions"

    def gpu() -> str:
        from assistant.llm.build import describe_build

        layers = env.settings.gpu_layers
        wanted = "all layers" if layers < 0 else f"{layers} layers"
        return f"{describe_build()}; configured to offload {wanted}"

    return [
        Check("config", True, str(env.paths.config_file)),
        _run("model", model),
        _run("store", store),
        _run("embedder", embedder),
        _run("gpu", gpu),
    ]
