"""Writing LoRA weights as a llama.cpp GGUF adapter.

llama.cpp (src/llama-adapter.cpp) wants `general.type = adapter`, `adapter.type = lora`,
`adapter.lora.alpha`, the base's `general.architecture`, and for each adapted weight
`<gguf tensor name>.lora_a` / `.lora_b`. In ggml's order a base weight is
[in, out]; lora_a must be [in, rank] and lora_b [rank, out], which in numpy's row-major
order are exactly peft's A (rank, in) and B (out, rank): no transposition. The names
come from gguf-py's own transformers-to-GGUF table, the one the converter used to
write the base model.

Llama-architecture GGUFs (SmolLM2) store `attn_q` and `attn_k` with their rows
permuted for llama.cpp's rotary embedding (convert_hf_to_gguf.py's `permute`), and
transformers undoes that when it loads them. A LoRA trained on transformers' q_proj
and k_proj changes output rows, so its B matrix gets the same permutation on the way
back; A, which acts on the input side, stays as it is.
"""

from pathlib import Path
from typing import TYPE_CHECKING

from assistant.weights.train.errors import TrainError
from assistant.weights.train.lora import LoraWeights

if TYPE_CHECKING:
    import numpy as np


def gguf_tensor_name(module: str, architecture: str, n_layers: int) -> str:
    """`model.layers.3.self_attn.q_proj` -> `blk.3.attn_q.weight` for this architecture."""
    import gguf

    archs = {name: arch for arch, name in gguf.MODEL_ARCH_NAMES.items()}
    if architecture not in archs:
        raise TrainError(f"gguf-py does not know the architecture `{architecture}`")
    mapped = gguf.get_tensor_name_map(archs[architecture], n_layers).get_name(module)
    if mapped is None:
        raise TrainError(
            f"no GGUF tensor name for `{module}` in `{architecture}`",
            "this model's layout is not supported for adapters",
        )
    return f"{mapped}.weight"


def permute_rows(weights: "np.ndarray", n_head: int) -> "np.ndarray":
    """llama.cpp's row order for a q or k projection: the converter's `permute`.

    Within each head the rotary pairs go from interleaved halves (transformers) to
    llama.cpp's order; `n_head` is the query heads for q and the key/value heads for k.
    """
    rows = weights.shape[0]
    return (
        weights.reshape(n_head, 2, rows // n_head // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


def write_adapter(
    path: Path,
    weights: LoraWeights,
    architecture: str,
    n_layers: int,
    name: str,
    *,
    heads: tuple[int, int] = (0, 0),
) -> None:
    """Write `weights` as a GGUF LoRA adapter at `path` (float32 tensors).

    `heads` (query heads, key/value heads) is needed for the llama architecture.
    """
    import gguf
    import numpy as np

    writer = gguf.GGUFWriter(str(path), architecture)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_name(name)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(weights.alpha))
    for module in sorted(weights.pairs):
        a, b = weights.pairs[module]
        if a.shape[0] != weights.rank or b.shape[1] != weights.rank:
            raise TrainError(f"LoRA pair for `{module}` does not have rank {weights.rank}")
        tensor = gguf_tensor_name(module, architecture, n_layers)
        if architecture == "llama" and module.endswith(("q_proj", "k_proj")):
            n_head = heads[0] if module.endswith("q_proj") else heads[1]
            if not n_head:
                raise TrainError(f"the head counts of `{architecture}` are needed for {module}")
            b = permute_rows(b, n_head)
        writer.add_tensor(f"{tensor}.lora_a", np.ascontiguousarray(a, dtype=np.float32))
        writer.add_tensor(f"{tensor}.lora_b", np.ascontiguousarray(b, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
