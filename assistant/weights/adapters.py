"""Trained LoRA adapters in the data dir, and which one the chat loads.

Each adapter is a folder `<data>/adapters/<name>/` holding `adapter.gguf` and
`adapter.json` (base model, export, training and evaluation). At most one is enabled,
recorded in `<data>/adapters/enabled.json`. An adapter only fits the base model it was
trained on, so the chat applies it only when the configured model is that same file
(by sha256); otherwise it warns and runs on the base model alone.

Nothing here imports the training stack: listing, enabling and loading are cheap.
"""

import contextlib
import json
import logging
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.core.errors import InputError, NotFoundError
from assistant.core.records import utc_now
from assistant.llm.checksum import is_verified, mark_verified, sha256_file
from assistant.system.paths import Paths

log = logging.getLogger(__name__)

ADAPTER_FILE = "adapter.gguf"
META_FILE = "adapter.json"
STATE_FILE = "enabled.json"
PARTIAL_PREFIX = ".partial-"


@dataclass(frozen=True)
class Adapter:
    """One trained adapter on disk."""

    name: str
    path: Path
    meta: dict[str, Any]

    @property
    def gguf(self) -> Path:
        return self.path / ADAPTER_FILE

    @property
    def base(self) -> dict[str, Any]:
        base = self.meta.get("base_model", {})
        return base if isinstance(base, dict) else {}

    @property
    def won(self) -> bool:
        return bool(self.meta.get("evaluation", {}).get("wins", False))

    def as_dict(self, enabled: bool) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": str(self.gguf),
            "enabled": enabled,
            "created_at": self.meta.get("created_at"),
            "base_model": self.base.get("name"),
            "wins": self.won,
            "reasons": self.meta.get("evaluation", {}).get("reasons", []),
        }


def adapters_dir(paths: Paths) -> Path:
    """Where adapters live: `<data>/adapters`."""
    return paths.data / "adapters"


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (a crash leaves the old file or the new one, never half)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _read_meta(folder: Path) -> dict[str, Any]:
    try:
        meta = json.loads((folder / META_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def list_adapters(paths: Paths) -> list[Adapter]:
    """Every finished adapter, oldest first (unfinished `.partial-*` folders are not)."""
    root = adapters_dir(paths)
    if not root.is_dir():
        return []
    found = [
        Adapter(d.name, d, _read_meta(d))
        for d in root.iterdir()
        if d.is_dir() and not d.name.startswith(".")
    ]
    return sorted(found, key=lambda a: (str(a.meta.get("created_at", "")), a.name))


def get_adapter(paths: Paths, name: str) -> Adapter:
    """The adapter called `name`, or NotFoundError."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise InputError(f"`{name}` is not an adapter name", "see `assistant adapters list`")
    folder = adapters_dir(paths) / name
    if not (folder / ADAPTER_FILE).is_file():
        raise NotFoundError(f"no adapter `{name}`", "see `assistant adapters list`")
    return Adapter(name, folder, _read_meta(folder))


def enabled_name(paths: Paths) -> str | None:
    """The enabled adapter's name, if any."""
    try:
        state = json.loads((adapters_dir(paths) / STATE_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    name = state.get("name") if isinstance(state, dict) else None
    return name if isinstance(name, str) and name else None


def enable(paths: Paths, name: str) -> Adapter:
    """Make `name` the adapter the chat loads from its next start."""
    adapter = get_adapter(paths, name)
    write_json(
        adapters_dir(paths) / STATE_FILE, {"name": name, "enabled_at": utc_now().isoformat()}
    )
    return adapter


def disable(paths: Paths) -> str | None:
    """Run the chat on the base model alone; returns the adapter that was enabled."""
    previous = enabled_name(paths)
    (adapters_dir(paths) / STATE_FILE).unlink(missing_ok=True)
    return previous


def remove(paths: Paths, name: str) -> Adapter:
    """Delete an adapter's folder (disabling it first if it is the enabled one)."""
    adapter = get_adapter(paths, name)
    if enabled_name(paths) == name:
        disable(paths)
    shutil.rmtree(adapter.path)
    return adapter


def trained_on(paths: Paths, message_ids: Iterable[str]) -> list[Adapter]:
    """Adapters whose export held any of these messages: their weights may keep the text,
    so a delete that means it should name (or remove) them too."""
    wanted = set(message_ids)
    return [a for a in list_adapters(paths) if wanted & set(a.meta.get("source_message_ids", []))]


def model_sha256(model: Path, progress: Callable[[str], None] = lambda _: None) -> str:
    """The model file's sha256, remembered beside it so the next check is free."""
    digest = sha256_file(model, lambda d, t: progress(f"Checking {model.name}… {d * 100 // t}%"))
    with contextlib.suppress(OSError):  # a read-only models dir: hashed again next time
        mark_verified(model, digest)
    return digest


def fits(adapter: Adapter, model: Path, progress: Callable[[str], None] = lambda _: None) -> bool:
    """Whether `adapter` was trained on exactly this model file."""
    expected = str(adapter.base.get("sha256", ""))
    size = adapter.base.get("size")
    if not expected or (isinstance(size, int) and model.stat().st_size != size):
        return False
    return is_verified(model, expected) or model_sha256(model, progress) == expected


def adapter_for(
    paths: Paths, model: Path, progress: Callable[[str], None] = lambda _: None
) -> Adapter | None:
    """The enabled adapter if it fits `model`; otherwise None, with a warning why."""
    name = enabled_name(paths)
    if name is None:
        return None
    try:
        adapter = get_adapter(paths, name)
    except (NotFoundError, InputError):
        log.warning("the enabled adapter `%s` is gone; using the base model", name)
        progress(f"Adapter {name} is missing; using the base model")
        return None
    if not fits(adapter, model, progress):
        log.warning("adapter `%s` was trained on another model than %s; not loaded", name, model)
        progress(f"Adapter {name} was trained on another model; using the base model")
        return None
    return adapter


def status_label(backend: object) -> str:
    """What a status bar says about the adapter of a loaded backend ("" for none)."""
    path = getattr(backend, "adapter_path", None)
    if isinstance(path, Path):
        return f"adapter {path.parent.name}"
    if getattr(backend, "adapter_error", ""):
        return "adapter failed, base model"
    return ""
