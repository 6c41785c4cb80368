"""The models a user can switch to right now, with nothing downloaded.

The palette's model switch offers the embedded default, the other embedded model,
catalog models whose file is in the models dir, and any other GGUF file there. Each
choice carries the value the `model` setting takes for it, so loading one goes
through the same resolution (and the catalog's sha256 check) as `--model`.
"""

from dataclasses import dataclass

from assistant.llm.catalog import load_catalog
from assistant.system.paths import Paths


@dataclass(frozen=True)
class ModelChoice:
    """A loadable model: `spec` is its `model` setting ("" for the embedded default)."""

    spec: str
    label: str
    note: str


def model_choices(paths: Paths) -> list[ModelChoice]:
    """The embedded default first, then catalog models present, then other GGUF files."""
    catalog = load_catalog()
    embedded = next((e for e in catalog if e.embedded), None)
    name = embedded.name if embedded else "the embedded default"
    choices = [ModelChoice("", name, "the small embedded model")]
    listed = {e.file for e in catalog}
    for entry in catalog:
        if entry.embedded and entry is not embedded:  # Gemma 3 270M, shipped as well
            choices.append(ModelChoice(entry.name, entry.name, f"embedded · {entry.licence}"))
        elif not entry.embedded and (paths.models / entry.file).is_file():
            choices.append(ModelChoice(entry.name, entry.name, f"catalog · {entry.licence}"))
    if paths.models.is_dir():
        for path in sorted(paths.models.glob("*.gguf")):
            if path.name not in listed and path.is_file():
                choices.append(ModelChoice(path.name, path.name, "models dir"))
    return choices
