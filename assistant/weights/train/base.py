"""The base model for training: the app's own GGUF, dequantized into transformers.

Training starts from the very file the chat runs on, so the adapter learns corrections
to those (quantized) weights and not to some other checkpoint. transformers reads the
GGUF with `gguf_file=` and dequantizes it to float32.

Only architectures whose GGUF tensor names and shapes were checked end to end (train,
write the adapter, load it in llama.cpp, same loss) are accepted: a wrong name mapping
would load without error and apply the adapter to the wrong weights.
"""

import contextlib
import importlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.llm.gguf import GGUFInfo
from assistant.weights.train.errors import TrainExtraMissing, UnsupportedModelError

VERIFIED_ARCHITECTURES = ("llama", "gemma3")
TRAIN_MODULES = ("torch", "transformers", "peft", "gguf")
INSTALL_HINT = "install the training extra: `pip install 'assistant[train]'` (or `make setup`)"


@dataclass
class TrainingBase:
    """A GGUF loaded for training: its header, transformers tokenizer and float32 model."""

    info: GGUFInfo
    tokenizer: Any
    model: Any

    @property
    def path(self) -> Path:
        return self.info.path

    @property
    def n_layers(self) -> int:
        return int(self.model.config.num_hidden_layers)

    @property
    def heads(self) -> tuple[int, int]:
        """Query heads and key/value heads (a llama adapter's q and k need them)."""
        config = self.model.config
        heads = int(config.num_attention_heads)
        return heads, int(getattr(config, "num_key_value_heads", None) or heads)


def require_train_extra() -> None:
    """Fail with an install hint when a `[train]` dependency cannot be imported."""
    for name in TRAIN_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            raise TrainExtraMissing(
                f"training needs the optional [train] extra, and `{name}` is not installed",
                INSTALL_HINT,
            ) from None


def check_architecture(info: GGUFInfo) -> None:
    """Refuse a GGUF whose architecture cannot be trained into a llama.cpp adapter."""
    if info.architecture not in VERIFIED_ARCHITECTURES:
        raise UnsupportedModelError(
            f"training does not support `{info.architecture}` models ({info.path.name}); "
            f"it supports {', '.join(VERIFIED_ARCHITECTURES)}",
            "train on a llama-architecture or Gemma 3 GGUF (the embedded default model is "
            "one); the chat itself works with this model as it is",
        )


def _quiet_transformers() -> None:
    hf_logging: Any = importlib.import_module("transformers.utils.logging")
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def load_tokenizer(info: GGUFInfo) -> Any:
    """transformers' tokenizer, rebuilt from the GGUF's vocabulary."""
    from transformers import AutoTokenizer

    _quiet_transformers()
    try:
        return AutoTokenizer.from_pretrained(info.path.parent, gguf_file=info.path.name)
    except (ValueError, KeyError, NotImplementedError) as exc:
        raise UnsupportedModelError(
            f"transformers cannot read the tokenizer of {info.path.name}: {exc}",
            "train on a llama-architecture or Gemma 3 GGUF (the embedded default model is one)",
        ) from None


def load_model(info: GGUFInfo) -> Any:
    """The GGUF's weights dequantized to a float32 transformers model."""
    import torch
    from transformers import AutoModelForCausalLM

    _quiet_transformers()
    try:
        # The GGUF dequantizer draws its own tqdm bar on stderr; we report progress ourselves.
        with contextlib.redirect_stderr(io.StringIO()):
            model: Any = AutoModelForCausalLM.from_pretrained(
                info.path.parent, gguf_file=info.path.name, dtype=torch.float32
            )
    except (ValueError, KeyError, NotImplementedError) as exc:
        raise UnsupportedModelError(
            f"transformers cannot load {info.path.name} ({info.architecture}): {exc}",
            "train on a llama-architecture or Gemma 3 GGUF (the embedded default model is one)",
        ) from None
    model.eval()  # no dropout: LoRA gradients flow all the same
    return model


def load_base(info: GGUFInfo, progress: Callable[[str], None] = lambda _: None) -> TrainingBase:
    """Check the extra and the architecture, then load tokenizer and model."""
    require_train_extra()
    check_architecture(info)
    progress(f"Reading the tokenizer of {info.path.name}…")
    tokenizer = load_tokenizer(info)
    progress(f"Loading {info.name} into transformers (dequantizing, about a minute)…")
    return TrainingBase(info, tokenizer, load_model(info))
