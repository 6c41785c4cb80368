"""Typed settings: one object, read from TOML and ASSISTANT_* variables, validated strictly.

An unknown key or a bad value is an error that names the key and where it came from,
so a typo never silently falls back to a default.
"""

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from assistant.core.errors import ConfigError
from assistant.core.records import LEARNING_LEVELS

BACKENDS = ("llama", "openai")
DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful, concise personal assistant running locally on the user's machine."
)


@dataclass(frozen=True)
class Settings:
    """Every user-tunable knob, with its default."""

    backend: str = field(
        default="llama",
        metadata={
            "doc": "llama (llama.cpp in a child process) or openai (an OpenAI-compatible server "
            "at base_url: llama-server, vLLM, Ollama, LM Studio)."
        },
    )
    model: str = field(
        default="",
        metadata={
            "doc": "GGUF path, a file name in the models dir, or empty for the default; with "
            "backend openai, the model name on the server (empty: the first it lists)."
        },
    )
    base_url: str = field(
        default="",
        metadata={"doc": "With backend openai: the server's API root, e.g. http://host:8080/v1."},
    )
    api_key: str = field(
        default="",
        repr=False,  # never in a log line or a traceback
        metadata={"doc": "Bearer token for the server; prefer the ASSISTANT_API_KEY variable."},
    )
    remote_tokenizer: bool = field(
        default=False,
        metadata={
            "doc": "With backend openai, count tokens with the server's tokenizer instead of "
            "an estimate; it then also sees recalled texts that do not fit the prompt."
        },
    )
    request_timeout: float = field(
        default=120.0,
        metadata={"doc": "Seconds to wait for the remote server to connect or send more."},
    )
    context_length: int = field(
        default=8192,
        metadata={"doc": "Cap on the context window; the model's own is used below it."},
    )
    max_tokens: int = field(default=512, metadata={"doc": "Longest reply, in tokens."})
    # 0.2, SmolLM2's own recommendation: in bench_answers (same day, one seed per reply)
    # the embedded model carried a correction in 0.88 of paraphrases at 0.2, 0.75 at 0.7.
    temperature: float = field(default=0.2, metadata={"doc": "Sampling temperature, 0 is greedy."})
    top_p: float = field(default=0.95, metadata={"doc": "Nucleus sampling mass."})
    seed: int = field(default=-1, metadata={"doc": "Sampling seed; -1 picks a random one."})
    # Off by default: in bench_answers' chats and preferences (greedy, same day) 1.1 ended
    # one more chat but drew out five refusals (35 -> 32 of 48 replies ended on their
    # own) and put prosciutto in a vegetarian's dinner.
    repeat_penalty: float = field(
        default=1.0,
        metadata={
            "doc": "Penalty on tokens the reply already used, against loops (llama.cpp "
            "backend only); 1.0 is off, 1.1 is mild."
        },
    )
    gpu_layers: int = field(
        default=-1,
        metadata={"doc": "Layers to offload: -1 all when the build has a GPU, 0 CPU only."},
    )
    threads: int = field(
        default=0, metadata={"doc": "CPU threads for llama.cpp; 0 picks one per core."}
    )
    chat_template: str = field(
        default="",
        metadata={"doc": "Built-in template name or Jinja text, used when the GGUF has none."},
    )
    system_prompt: str = field(
        default=DEFAULT_SYSTEM_PROMPT, metadata={"doc": "System prompt for new conversations."}
    )
    learning: str = field(
        default="feedback",
        metadata={
            "doc": "Learning level: off (learn and use nothing), memory (remember what the "
            "user says), feedback (also corrections and rules), full (also dataset export)."
        },
    )
    llm_extraction: bool = field(
        default=False,
        metadata={
            "doc": "Also ask the model (JSON grammar) for memories; best with instruct GGUFs."
        },
    )

    redact: bool = field(
        default=True,
        metadata={
            "doc": "Dataset exports replace e-mail addresses, phone and card numbers and "
            "API-key-like strings with placeholders."
        },
    )
    export_every_examples: int = field(
        default=50,
        metadata={"doc": "At level full, export a dataset once this many new examples exist."},
    )
    export_every_days: int = field(
        default=7,
        metadata={"doc": "At level full, export new examples at least this often (days)."},
    )

    def with_overrides(self, **values: Any) -> "Settings":
        """Return a copy with some values replaced (from command-line flags)."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


_FIELDS = {f.name: f for f in fields(Settings)}


def _coerce(key: str, value: Any, source: str) -> Any:
    """Check one raw value against the field's type; strings from env are parsed."""
    kind = _FIELDS[key].type
    try:
        if kind is bool or kind == "bool":
            if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on"):
                value = True
            elif isinstance(value, str) and value.lower() in ("0", "false", "no", "off"):
                value = False
            elif not isinstance(value, bool):
                raise ValueError
        elif kind is int or kind == "int":
            if isinstance(value, bool):
                raise ValueError
            value = int(value)
        elif kind is float or kind == "float":
            if isinstance(value, bool):
                raise ValueError
            value = float(value)
        elif not isinstance(value, str):
            raise ValueError
    except (TypeError, ValueError):
        raise ConfigError(
            f"{source}: `{key}` must be {getattr(kind, '__name__', kind)}, got {value!r}",
            "fix or remove that key",
        ) from None
    return value


def _validate(settings: Settings, source: str, together: bool = True) -> Settings:
    """Check each value's range, and with `together` the keys that depend on each other."""
    checks: list[tuple[str, bool, str]] = [
        ("context_length", settings.context_length >= 256, "at least 256"),
        ("max_tokens", settings.max_tokens >= 1, "at least 1"),
        ("temperature", 0.0 <= settings.temperature <= 5.0, "between 0 and 5"),
        ("top_p", 0.0 < settings.top_p <= 1.0, "in (0, 1]"),
        ("repeat_penalty", 1.0 <= settings.repeat_penalty <= 2.0, "between 1 and 2"),
        ("gpu_layers", settings.gpu_layers >= -1, "-1, 0 or a positive count"),
        ("threads", settings.threads >= 0, "0 (auto) or a positive count"),
        ("learning", settings.learning in LEARNING_LEVELS, "one of " + ", ".join(LEARNING_LEVELS)),
        ("export_every_examples", settings.export_every_examples >= 1, "at least 1"),
        ("export_every_days", settings.export_every_days >= 1, "at least 1"),
        ("backend", settings.backend in BACKENDS, "one of " + ", ".join(BACKENDS)),
        ("request_timeout", settings.request_timeout > 0, "above 0"),
    ]
    if together:
        checks.append(
            (
                "base_url",
                settings.backend != "openai"
                or settings.base_url.startswith(("http://", "https://")),
                "an http:// or https:// URL when backend is openai",
            )
        )
    for key, ok, expected in checks:
        if not ok:
            raise ConfigError(
                f"{source}: `{key}` must be {expected}, got {getattr(settings, key)!r}",
                "fix or remove that key",
            )
    if together and settings.max_tokens >= settings.context_length:
        raise ConfigError(
            f"{source}: `max_tokens` ({settings.max_tokens}) must be below "
            f"`context_length` ({settings.context_length})",
            "lower max_tokens or raise context_length",
        )
    return settings


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse the TOML config file; a missing file is an empty config."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(
            f"cannot read config file {path}: {exc.strerror}", "check its permissions"
        ) from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text", "rewrite it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"config file {path} is not valid TOML: {exc}", "fix the syntax"
        ) from None


def load_settings(config_file: Path, environ: dict[str, str] | None = None) -> Settings:
    """Build Settings from the TOML file, then ASSISTANT_<KEY> environment variables."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for key, value in read_config_file(config_file).items():
        if key not in _FIELDS:
            known = ", ".join(sorted(_FIELDS))
            raise ConfigError(f"{config_file}: unknown key `{key}`", f"known keys: {known}")
        values[key] = _coerce(key, value, str(config_file))
    overridden = [key for key in _FIELDS if f"ASSISTANT_{key.upper()}" in env]
    # Keys that depend on each other (backend and base_url, max_tokens and
    # context_length) are checked once the environment had its say: a file may set
    # `backend = "openai"` and leave `base_url` to ASSISTANT_BASE_URL.
    _validate(Settings(**values), str(config_file), together=not overridden)
    for key in overridden:
        name = f"ASSISTANT_{key.upper()}"
        values[key] = _coerce(key, env[name], f"environment variable {name}")
    return _validate(Settings(**values), "environment")
