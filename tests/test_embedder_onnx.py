"""The embedder on ONNX Runtime gives sentence-transformers' vectors, and without its
graph the app still embeds, through sentence-transformers, and builds the graph for the
next start. Real model, real export, real onnxruntime."""

import logging
from pathlib import Path

import numpy as np
import pytest

from assistant import embedder as module
from assistant.embedder import (
    SentenceEmbedder,
    load_embedder,
    load_sentence_transformer,
    packaged_model_dir,
)

pytestmark = pytest.mark.real

TEXTS = [
    "We adopted another puppy called Pixie!",
    "  leading and trailing spaces are stripped, as sentence-transformers does  ",
    "",
    "Zoë's café in Kraków serves pierogi 🥟",
    "a long message " * 120,  # past the model's 256 tokens: truncated alike
    *(f"short note {i} about {'gardening ' * (i % 9)}" for i in range(40)),  # > one batch
]


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    model = load_sentence_transformer(packaged_model_dir())
    return np.asarray(model.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True))


def test_make_setup_built_the_graph_so_the_app_embeds_on_onnxruntime(
    embedder: SentenceEmbedder, reference: np.ndarray
) -> None:
    assert embedder.backend == "onnxruntime"
    assert embedder.dimension == 384
    shared = module.graph_paths()[0]
    assert shared.stat().st_mode & 0o777 == 0o644  # every user of the environment reads it
    got = np.array(embedder.embed(TEXTS))
    assert got.shape == reference.shape
    assert float(np.abs(got - reference).max()) < 1e-5  # same vectors, same order
    assert embedder.embed([]) == []


def test_without_a_graph_it_embeds_through_sentence_transformers_and_exports_one(
    home: Path, monkeypatch: pytest.MonkeyPatch, reference: np.ndarray
) -> None:
    graph = home / "cache" / "embedder" / "graph.onnx"
    monkeypatch.setattr(module, "graph_paths", lambda: [graph])
    first = load_embedder()
    assert first.backend == "sentence-transformers"
    assert graph.is_file()  # exported for the next start
    assert graph.stat().st_mode & 0o777 == 0o600  # a home's cache stays private
    second = load_embedder()
    assert second.backend == "onnxruntime"
    for loaded in (first, second):
        assert float(np.abs(np.array(loaded.embed(TEXTS)) - reference).max()) < 1e-5


def test_a_damaged_graph_is_skipped_and_rebuilt(
    home: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    graph = home / "cache" / "embedder" / "graph.onnx"
    graph.parent.mkdir(parents=True)
    graph.write_bytes(b"not an onnx graph")
    monkeypatch.setattr(module, "graph_paths", lambda: [graph])
    with caplog.at_level(logging.WARNING, logger="assistant.embedder"):
        loaded = load_embedder()
    assert loaded.backend == "sentence-transformers"
    assert "unusable" in caplog.text
    assert graph.stat().st_size > 1_000_000  # replaced by a good export
    assert load_embedder().backend == "onnxruntime"
