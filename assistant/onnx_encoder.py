"""The embedder's forward pass on ONNX Runtime: the same vectors as sentence-transformers,
without importing torch.

Why: on this 2-core CPU a PyTorch forward pass of all-MiniLM-L6-v2 costs about 11 ms
for one short sentence and 19 ms for three, most of it per-operator overhead, and
importing torch costs seconds on every CLI command that embeds. The same graph on ONNX
Runtime runs in about 5 and 8 ms (tests/bench/bench_embedder.py), and `tokenizers` plus
`onnxruntime` import in a fraction of a second.

The graph is exported once from the packaged sentence-transformers model (`export`) and
kept beside it: in the virtual environment when `make setup` builds it, else in the
app's cache on first use. An export is kept only when its vectors match
sentence-transformers' on probe sentences, so a stored memory's vector means the same
whichever path embedded it.
"""

import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

# Bumped when the exported graph or its pre/post-processing changes.
EXPORT_VERSION = 1
# Sentence-transformers' limit for this model (sentence_bert_config.json).
MAX_TOKENS = 256
# Texts per forward pass in bulk embedding, sorted by length as sentence-transformers
# does, so short texts are not padded to a long one's length.
BATCH = 32
# An export is kept only when it reproduces sentence-transformers within this.
PARITY = 1e-5
PROBES = (
    "We adopted another puppy called Pixie last week!",
    "i'm gonna try the new ramen place on 5th ave tmrw",
    "",
    "Café crème, naïve résumé: 東京 and emoji 🎉 in one line.",
    "word " * 400,  # longer than MAX_TOKENS: truncated the same way
)


def file_name(model_version: str) -> str:
    """The graph's file name: the model's version and the export's, so either changing
    makes a new export."""
    return f"all-minilm-l6-v2-{model_version}-v{EXPORT_VERSION}.onnx"


def shared_dir() -> Path:
    """Where `make setup` puts the graph: inside the virtual environment, beside the
    packages it was derived from, so every home (and every test's) finds it. In the
    PyInstaller bundle, its own folder (packaging/assistant.spec puts it there)."""
    return Path(getattr(sys, "_MEIPASS", sys.prefix)) / "share" / "assistant"


class OnnxEncoder:
    """Normalised mean-pooled MiniLM vectors from an exported graph and its tokenizer."""

    def __init__(self, graph: Path, model_dir: Path) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        # One thread, as the PyTorch path uses: a chat turn embeds one short query, and
        # idle worker threads would spin on the cores llama.cpp needs next.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(
            str(graph), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest
        self.dimension = int(self._session.get_outputs()[0].shape[-1])  # hidden size: 384

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One unit vector per text, in order."""
        # sentence-transformers strips each text before tokenizing it.
        stripped = [text.strip() for text in texts]
        order = sorted(range(len(stripped)), key=lambda i: -len(stripped[i]))
        out = np.zeros((len(stripped), self.dimension), dtype=np.float32)
        for start in range(0, len(order), BATCH):
            chunk = order[start : start + BATCH]
            out[chunk] = self._forward([stripped[i] for i in chunk])
        return out

    def _forward(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden: np.ndarray = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        unit: np.ndarray = (pooled / norms).astype(np.float32)
        return unit


def export(model: Any, model_dir: Path, target: Path, mode: int = 0o600) -> None:
    """Write `model`'s transformer (a loaded SentenceTransformer) to `target` as ONNX,
    atomically, and only if the graph reproduces the model's own vectors on PROBES.
    `mode`: private in a home's cache; readable by all beside an environment's packages,
    which every user of that environment reads."""
    import warnings

    import torch

    bert = model[0].auto_model

    class LastHidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = {name: torch.ones((2, 8), dtype=torch.long) for name in names}
    axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]}
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, scratch = tempfile.mkstemp(suffix=".onnx", dir=target.parent)
    os.close(fd)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                LastHidden().eval(),
                tuple(sample[name] for name in names),
                scratch,
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        got = OnnxEncoder(Path(scratch), model_dir).encode(PROBES)
        want = model.encode(list(PROBES), normalize_embeddings=True, convert_to_numpy=True)
        gap = float(np.abs(got - want).max())
        if gap > PARITY:
            raise RuntimeError(f"the ONNX graph's vectors differ from the model's by {gap:.1e}")
        os.chmod(scratch, mode)
        os.replace(scratch, target)
    finally:
        Path(scratch).unlink(missing_ok=True)
