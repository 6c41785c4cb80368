"""The catalog of known GGUF models (models/catalog.toml), and finding a model file.

A model setting can be a path, a file name in the models dir, or a catalog name; the
empty setting means the embedded default. Resolution never downloads anything.
"""

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assistant.core.errors import ModelError
from assistant.llm.checksum import is_verified, mark_verified, sha256_file
from assistant.llm.default_model import DEFAULT_MODEL, default_model_copy, embedded_model_path
from assistant.system.paths import Paths

Progress = Callable[[str], None]


@dataclass(frozen=True)
class CatalogEntry:
    """One known model."""

    name: str
    file: str
    sha256: str
    architecture: str
    context_length: int
    template: str
    licence: str
    embedded: bool = False
    notes: str = ""
    # What the app calls the model (status bar, welcome, stored replies); the file's own
    # `general.name` is used when empty. SmolLM2's is its training run's name.
    label: str = ""


def catalog_file() -> Path:
    """The catalog shipped in the wheel, or the repository's copy in a source checkout."""
    packaged = Path(__file__).with_name("catalog.toml")
    if packaged.exists():
        return packaged
    return Path(__file__).resolve().parents[2] / "models" / "catalog.toml"


def load_catalog(path: Path | None = None) -> list[CatalogEntry]:
    """Parse the catalog; a malformed entry is an error naming it."""
    path = path or catalog_file()
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ModelError(f"cannot read the model catalog {path}: {exc}") from None
    entries = []
    for index, raw in enumerate(data.get("model", [])):
        try:
            entries.append(CatalogEntry(**raw))
        except TypeError as exc:
            raise ModelError(f"{path}: model entry {index + 1} is malformed: {exc}") from None
    return entries


def _verify(path: Path, entry: CatalogEntry, progress: Progress) -> None:
    if not entry.sha256 or is_verified(path, entry.sha256):
        return
    actual = sha256_file(path, lambda d, t: progress(f"Checking {path.name}… {d * 100 // t}%"))
    if actual != entry.sha256:
        raise ModelError(
            f"{path} does not match the catalog's sha256 for `{entry.name}`",
            "the file is damaged or a different build; download it again",
        )
    mark_verified(path, entry.sha256)


def catalog_label(spec: str) -> str:
    """The catalog's label for a model setting that names one of its models ("" for the
    default, which is one of them), or "" for anything else."""
    name = spec or DEFAULT_MODEL
    return next((e.label for e in load_catalog() if name in (e.name, e.file)), "")


def resolve_model_path(spec: str, paths: Paths, progress: Progress = lambda _: None) -> Path:
    """Turn a model setting into an existing GGUF path (assembling the default if needed)."""
    if not spec:
        return default_model_copy(paths.cache, progress)
    candidate = Path(spec).expanduser()
    if candidate.is_absolute() or "/" in spec or candidate.exists():
        return candidate
    for entry in load_catalog():
        if spec in (entry.name, entry.file):
            if entry.embedded:
                return embedded_model_path(entry.name, paths.cache, progress)
            path = paths.models / entry.file
            if not path.is_file():
                raise ModelError(
                    f"catalog model `{entry.name}` is not in the models dir",
                    f"put {entry.file} in {paths.models}",
                )
            _verify(path, entry, progress)
            return path
    for name in (spec, f"{spec}.gguf"):
        if (paths.models / name).is_file():
            return paths.models / name
    raise ModelError(
        f"no model `{spec}`: not a file, not in {paths.models}, not in the catalog",
        "pass a path to a .gguf file, or see `assistant paths`",
    )
