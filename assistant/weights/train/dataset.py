"""Reading a dataset export (`assistant export`) as training rows.

The export is a folder with `manifest.json` and `sft.jsonl` (OpenAI chat format, the
last message being the answer to learn). The manifest's split decides which rows train
and which are held out for the evaluation, so a re-run trains on the same rows. A row
may carry `"source": "correction"`: those answers are checked for exact match.
"""

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.core.ports.chat import ChatMessage, Role
from assistant.system.paths import Paths
from assistant.weights.train.errors import TrainError

log = logging.getLogger(__name__)

FORMAT = "assistant-dataset"
VERSION = 1
_ROLES: tuple[Role, ...] = ("system", "user", "assistant")


@dataclass(frozen=True)
class SFTRow:
    """One supervised example: the conversation so far and the answer to learn."""

    index: int
    prompt: tuple[ChatMessage, ...]
    answer: str
    source: str = ""

    @property
    def is_correction(self) -> bool:
        return self.source == "correction"


@dataclass(frozen=True)
class Export:
    """A dataset export, split into training and held-out rows."""

    path: Path
    manifest: dict[str, Any]
    train: tuple[SFTRow, ...]
    held_out: tuple[SFTRow, ...]

    @property
    def created_at(self) -> str:
        return str(self.manifest.get("created_at", ""))


def exports_dir(paths: Paths) -> Path:
    """Where `assistant export` writes its folders by default."""
    return paths.data / "exports"


def latest_export(paths: Paths) -> Path:
    """The newest export folder (by its manifest's `created_at`, then by mtime)."""
    root = exports_dir(paths)
    found: list[tuple[str, float, Path]] = []
    if root.is_dir():
        for manifest in root.glob("*/manifest.json"):
            if manifest.parent.name.startswith("."):
                continue  # an export still being written
            try:
                created = str(json.loads(manifest.read_text("utf-8")).get("created_at", ""))
                found.append((created, manifest.stat().st_mtime, manifest.parent))
            except (OSError, ValueError, AttributeError):
                continue
    if not found:
        raise TrainError(
            f"no dataset export in {root}",
            "run `assistant export` first (it needs some corrected or approved answers), "
            "or pass --export DIR",
        )
    return max(found)[2]


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Parse a JSONL file; a bad line is an error naming the file and line."""
    rows = []
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise TrainError(f"cannot read {path}: {exc}", "export the dataset again") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise TrainError(f"{path.name} line {number} is not JSON: {exc}") from None
        if not isinstance(row, dict):
            raise TrainError(f"{path.name} line {number} is not a JSON object")
        rows.append(row)
    return rows


def parse_sft_row(index: int, raw: dict[str, Any]) -> SFTRow:
    """Check one `{"messages": [...]}` row; the last message must be the assistant's."""
    messages = raw.get("messages")
    where = f"sft.jsonl row {index}"
    if not isinstance(messages, list) or len(messages) < 2:
        raise TrainError(f"{where}: `messages` must list at least a prompt and an answer")
    parsed = []
    for m in messages:
        role, content = (m.get("role"), m.get("content")) if isinstance(m, dict) else (None, None)
        if role not in _ROLES or not isinstance(content, str):
            raise TrainError(f"{where}: each message needs a role in {_ROLES} and text content")
        parsed.append(ChatMessage(role, content))
    if parsed[-1].role != "assistant" or not parsed[-1].content.strip():
        raise TrainError(f"{where}: the last message must be a non-empty assistant answer")
    if not any(m.role == "user" for m in parsed[:-1]):
        raise TrainError(f"{where}: there is no user message before the answer")
    source = raw.get("source", "")
    return SFTRow(index, tuple(parsed[:-1]), parsed[-1].content, str(source or ""))


def _split(manifest: dict[str, Any], count: int) -> tuple[list[int], list[int]]:
    split = manifest.get("split", {}).get("sft")
    if not isinstance(split, dict):
        return list(range(count)), []
    train, held = split.get("train", []), split.get("eval", [])
    for name, indices in (("train", train), ("eval", held)):
        if not isinstance(indices, list) or not all(
            isinstance(i, int) and 0 <= i < count for i in indices
        ):
            raise TrainError(
                f"manifest.json: split.sft.{name} names rows that sft.jsonl does not have",
                "the export was edited or cut short; export the dataset again",
            )
    return train, held


def _check_hash(directory: Path, manifest: dict[str, Any]) -> None:
    expected = manifest.get("files", {}).get("sft.jsonl", {}).get("sha256")
    if not expected:
        return
    actual = hashlib.sha256((directory / "sft.jsonl").read_bytes()).hexdigest()
    if actual != expected:
        # Curating an export by hand is allowed; a changed file is worth a log line.
        log.warning("%s/sft.jsonl changed since it was exported", directory)


def load_export(directory: Path) -> Export:
    """Read and validate an export folder."""
    manifest_path = directory / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text("utf-8"))
    except OSError:
        raise TrainError(
            f"{directory} is not a dataset export (no manifest.json)",
            "pass a folder written by `assistant export`",
        ) from None
    except ValueError as exc:
        raise TrainError(f"{manifest_path} is not valid JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise TrainError(f"{manifest_path} is not an `{FORMAT}` manifest")
    if manifest.get("version") != VERSION:
        raise TrainError(
            f"{manifest_path} has version {manifest.get('version')}, this app reads {VERSION}",
            "export the dataset again with this version of the app",
        )
    sft = directory / "sft.jsonl"
    rows = [parse_sft_row(i, raw) for i, raw in enumerate(read_rows(sft))] if sft.exists() else []
    if not rows:
        raise TrainError(
            f"the export {directory} has no training examples",
            "correct or approve some answers, then run `assistant export` again",
        )
    _check_hash(directory, manifest)
    train, held = _split(manifest, len(rows))
    if not train:
        raise TrainError(
            f"the export {directory} puts no rows in its training split",
            "export again once there are more examples",
        )
    return Export(directory, manifest, tuple(rows[i] for i in train), tuple(rows[i] for i in held))
