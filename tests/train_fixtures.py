"""Small dataset exports in the `assistant export` format, for the training tests and bench."""

import hashlib
import json
from pathlib import Path

from assistant.core.settings import DEFAULT_SYSTEM_PROMPT

SYSTEM = {"role": "system", "content": DEFAULT_SYSTEM_PROMPT}

# Facts the base model cannot know, so learning them is visible.
FACTS = [
    ("What is the code name of project Zephyr?", "Project Zephyr's code name is Blue Falcon."),
    ("Who maintains the billing service?", "Dana Whitfield maintains the billing service."),
    ("Which port does the staging server use?", "The staging server listens on port 8443."),
    ("Where is the team offsite this year?", "This year's offsite is in Lisbon, in May."),
]


def sft_row(question: str, answer: str, source: str = "correction") -> dict[str, object]:
    return {
        "messages": [
            SYSTEM,
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ],
        "source": source,
    }


def write_export(
    folder: Path,
    rows: list[dict[str, object]],
    held_out: list[int] | None = None,
    created_at: str = "2026-01-01T00:00:00+00:00",
) -> Path:
    """Write sft.jsonl, dpo.jsonl, manifest.json and README.md as `assistant export` does."""
    folder.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    (folder / "sft.jsonl").write_text(text, encoding="utf-8")
    (folder / "dpo.jsonl").write_text("", encoding="utf-8")
    held = held_out or []
    manifest = {
        "format": "assistant-dataset",
        "version": 1,
        "created_at": created_at,
        "base_model": {"path": "gemma.gguf", "name": "gemma", "sha256": ""},
        "counts": {"sft": len(rows), "dpo": 0},
        "files": {
            "sft.jsonl": {"sha256": hashlib.sha256(text.encode()).hexdigest(), "rows": len(rows)},
            "dpo.jsonl": {"sha256": hashlib.sha256(b"").hexdigest(), "rows": 0},
        },
        "split": {
            "sft": {"train": [i for i in range(len(rows)) if i not in held], "eval": held},
            "dpo": {"train": [], "eval": []},
        },
        "source_message_ids": [f"msg-{i}" for i in range(len(rows))],
        "filters": {},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (folder / "README.md").write_text("# test export\n", encoding="utf-8")
    return folder
