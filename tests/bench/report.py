"""Shared by the benchmarks: where the shared data lives and how results are written."""

import json
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).with_name("results")
DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "locomo-dev"


def write_result(name: str, result: dict[str, Any]) -> Path:
    """Write one benchmark's JSON, stamped with time, commit and machine."""
    RESULTS.mkdir(exist_ok=True)
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    result = {
        **result,
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}",
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {path}")
    return path
