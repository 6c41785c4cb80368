"""Dataset exports: versioned folders of verified examples for LoRA fine-tuning.

Each export is a full snapshot of what counts today (assistant/core/learning/dataset.py),
written to a temporary folder and renamed into place, so a crash never leaves half an
export. Exports run on demand (`assistant export`) and, at learning level `full`, when
enough new examples have accumulated or enough days have passed since the last one.
"""

import hashlib
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from assistant.core.errors import InputError
from assistant.core.learning.dataset import Collected, Example
from assistant.core.learning.redact import redact
from assistant.core.ports.copies import ExportResult
from assistant.core.records import utc_now
from assistant.llm.checksum import sha256_file
from assistant.weights.ledger import record_export

FORMAT = "assistant-dataset"
VERSION = 1
Progress = Callable[[str], None]


@dataclass(frozen=True)
class BaseModel:
    """The GGUF the examples were produced with (training starts from it)."""

    path: str
    name: str
    sha256: str


def exports_dir(data: Path) -> Path:
    return data / "exports"


def manifests(data: Path) -> list[dict[str, Any]]:
    """Manifests of the exports in the data dir, oldest first."""
    found = []
    for manifest in sorted(exports_dir(data).glob("dataset-*/manifest.json")):
        try:
            found.append(json.loads(manifest.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return found


def _clean(example: Example, on: bool) -> Example:
    if not on:
        return example
    return Example(
        example.kind,
        example.conversation_id,
        example.source_ids,
        redact(example.system),
        redact(example.user),
        redact(example.answer),
        redact(example.rejected),
    )


def _write_jsonl(path: Path, rows: list[dict[str, object]]) -> dict[str, object]:
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    path.write_text(text, encoding="utf-8")
    return {"sha256": hashlib.sha256(text.encode()).hexdigest(), "rows": len(rows)}


def _indices(examples: list[Example], held: set[str]) -> dict[str, list[int]]:
    return {
        "train": [i for i, e in enumerate(examples) if e.conversation_id not in held],
        "eval": [i for i, e in enumerate(examples) if e.conversation_id in held],
    }


def write_dataset(
    data: Path,
    collected: Collected,
    held: set[str],
    base: BaseModel,
    *,
    redact_on: bool,
    out: Path | None = None,
) -> ExportResult:
    """Write sft.jsonl, dpo.jsonl, manifest.json and README.md; returns the folder."""
    examples = [_clean(e, redact_on) for e in collected.examples]
    # A regenerated pair's chosen answer is already an approved row: SFT once.
    sft = [e for e in examples if e.kind != "regenerated"]
    dpo = [e for e in examples if e.rejected]
    root = out or exports_dir(data)
    root.mkdir(parents=True, exist_ok=True)
    stamp = utc_now().strftime("%Y%m%dT%H%M%SZ")
    number = 1 + len(list(root.glob("dataset-*")))
    final = root / f"dataset-{number:04d}-{stamp}"
    tmp = root / f".{final.name}.partial"
    tmp.mkdir()
    files = {
        "sft.jsonl": _write_jsonl(tmp / "sft.jsonl", [e.sft_row() for e in sft]),
        "dpo.jsonl": _write_jsonl(tmp / "dpo.jsonl", [e.dpo_row() for e in dpo]),
    }
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": utc_now().isoformat(),
        "base_model": base.__dict__,
        "counts": {
            "sft": len(sft),
            "dpo": len(dpo),
            **{kind: sum(e.kind == kind for e in examples) for kind in _KINDS},
        },
        "files": files,
        "split": {
            "by": "conversation",
            "eval_conversations": sorted(held),
            "sft": _indices(sft, held),
            "dpo": _indices(dpo, held),
        },
        "source_message_ids": sorted({i for e in examples for i in e.source_ids}),
        "filters": {
            "learning_level": "full",
            "redacted": redact_on,
            "dropped": collected.dropped,
            "excluded": "incognito chats and deleted material are never stored or exported",
        },
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    (tmp / "README.md").write_text(_readme(final.name, manifest), encoding="utf-8")
    os.replace(tmp, final)
    return ExportResult(final, {"sft": len(sft), "dpo": len(dpo)})


_KINDS = ("approved", "correction", "regenerated")


def export_due(data: Path, collected: Collected, every_examples: int, every_days: int) -> bool:
    """Whether enough is new since the last export (examples count, or days passed)."""
    previous = manifests(data)
    exported = {i for m in previous for i in m.get("source_message_ids", [])}
    new = [e for e in collected.examples if not set(e.source_ids) <= exported]
    if not new:
        return False
    if len(new) >= every_examples:
        return True
    if not previous:
        return False
    last = datetime.fromisoformat(previous[-1]["created_at"])
    return utc_now() - last >= timedelta(days=every_days)


def file_model(path: Path, progress: Progress) -> BaseModel:
    """Name and checksum of the base GGUF (hashing a few GB takes seconds: say so)."""
    if not path.is_file():
        raise InputError(f"the base model {path} is missing", "check `model` in the config")
    progress(f"Hashing {path.name}…")
    return BaseModel(str(path), path.stem, sha256_file(path))


def export_dataset(
    env: Any, assistant: Any, out: Path | None = None, progress: Progress = lambda _: None
) -> ExportResult:
    """Export every example that counts today (refused below learning level `full`)."""
    if env.settings.learning != "full":
        raise InputError(
            f"dataset exports run at learning level full (now {env.settings.learning})",
            'set `learning = "full"` in the config, or ASSISTANT_LEARNING=full',
        )
    progress("Collecting examples…")
    collected = assistant.dataset_examples()
    if not collected.examples:
        raise InputError(
            "nothing to export yet: no approved answers or corrections at level full",
            "approve good answers (f5 / `assistant feedback ID up`) or correct bad ones",
        )
    from assistant.core.learning.dataset import split
    from assistant.llm.catalog import resolve_model_path

    base = file_model(resolve_model_path(env.settings.model, env.paths, progress), progress)
    # Anything deleted while this export was being prepared stays out of it.
    alive = assistant.store.existing_message_ids(
        sorted({i for e in collected.examples for i in e.source_ids})
    )
    for e in list(collected.examples):
        if not set(e.source_ids) <= alive:
            collected.examples.remove(e)
            collected.drop("deleted")
    result = write_dataset(
        env.paths.data,
        collected,
        split(collected.examples),
        base,
        redact_on=env.settings.redact,
        out=out,
    )
    record_export(env.paths, result.path)
    return result


def maybe_export(env: Any, assistant: Any) -> ExportResult | None:
    """The periodic export: at level `full`, when it is due (see `export_due`).

    Learning workers may finish together; one check at a time, the others skip.
    """
    s = env.settings
    if s.learning != "full" or not _periodic.acquire(blocking=False):
        return None
    try:
        collected = assistant.dataset_examples(dedupe=False)
        every = (s.export_every_examples, s.export_every_days)
        if not export_due(env.paths.data, collected, *every):
            return None
        return export_dataset(env, assistant)
    finally:
        _periodic.release()


_periodic = threading.Lock()


def _readme(name: str, manifest: dict[str, Any]) -> str:
    counts = manifest["counts"]
    return f"""# {name}

Fine-tuning data exported by the local assistant: {counts["sft"]} supervised rows
(`sft.jsonl`) and {counts["dpo"]} preference pairs (`dpo.jsonl`), from answers you
approved ({counts["approved"]}), corrections you made ({counts["correction"]}) and
regenerations you preferred ({counts["regenerated"]}). Base model:
`{manifest["base_model"]["name"]}` (sha256 `{manifest["base_model"]["sha256"][:16]}…`).

Every prompt is the one the model was actually given: the system text with your
confirmed rules and preferences, and your message with the notes recalled for it.
`manifest.json` holds the checksums, the source message ids, the filters and the
train/eval split by conversation (row indices under `split`). Redacted:
{manifest["filters"]["redacted"]}.

## Formats

- `sft.jsonl`: `{{"messages": [{{"role", "content"}}, ...]}}`, the OpenAI chat format.
- `dpo.jsonl`: `{{"prompt": [...], "chosen": [...], "rejected": [...]}}`, TRL's
  conversational preference format.

An extra `source` key says where a row came from; tools ignore unknown columns.

## Train

- This app, locally (LoRA, loaded back into the same GGUF):
  `assistant train --export {name}`
- TRL: `trl sft --model_name_or_path BASE --dataset_name json --data_files sft.jsonl`
  and `trl dpo ... --data_files dpo.jsonl`, or in Python
  `load_dataset("json", data_files="sft.jsonl")` with `SFTTrainer` / `DPOTrainer`.
- Unsloth: `load_dataset("json", data_files="sft.jsonl")`, then
  `standardize_sharegpt` is not needed (already `role`/`content`).
- axolotl: `datasets: [{{path: sft.jsonl, type: chat_template, field_messages: messages}}]`
  and for DPO `rl: dpo` with `type: chat_template.default`.
- mlx-lm: `mlx_lm.lora --train --data DIR` reads `train.jsonl` / `valid.jsonl` in this
  chat format: copy the split's rows into those two files.
- LLaMA-Factory: add to `dataset_info.json`
  `{{"mine": {{"file_name": "sft.jsonl", "formatting": "sharegpt",
  "columns": {{"messages": "messages"}}, "tags": {{"role_tag": "role",
  "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant",
  "system_tag": "system"}}}}}}`.
"""
