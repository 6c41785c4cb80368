"""Shared by the benchmarks: where the shared data lives and how results are written."""

import json
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).with_name("results")


def shared_data() -> Path:
    """`../shared/data`: beside this checkout, or beside the repository it was cloned
    from, so that a scratch clone elsewhere (`git clone . $(mktemp -d)`) finds it too.
    The data stays out of the repository because of its licence."""
    root = Path(__file__).resolve().parents[2]
    candidates = [root.parent / "shared" / "data"]
    origin = subprocess.run(
        ["git", "-C", str(root), "config", "--get", "remote.origin.url"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if origin and Path(origin).is_dir():
        candidates.append(Path(origin).resolve().parent / "shared" / "data")
    return next((path for path in candidates if path.is_dir()), candidates[0])


DATA = shared_data() / "locomo-dev"


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
