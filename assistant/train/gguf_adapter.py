"""Writing LoRA weights as a llama.cpp GGUF adapter.

llama.cpp (src/llama-adapter.cpp) wants `general.type = adapter`, `adapter.type = lora`,
`adapter.lora.alpha`, the base's `general.architecture`, and for each adapted weight
`<gguf tensor name>.lora_a` / `.lora_b`. In ggml's order a base weight is
[in, out]; lora_a must be [in, rank] and lora_b [rank, out], which in numpy's row-major
order are exactly peft's A (rank, in) and B (out, rank): no transposition. The names
come from gguf-py's own transformers-to-GGUF table, the one the converter used to
write the base model.
"""

from pathlib import Path

from assistant.train.errors import TrainError
from assistant.train.lora import LoraWeights


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


def write_adapter(
    path: Path, weights: LoraWeights, architecture: str, n_layers: int, name: str
) -> None:
    """Write `weights` as a GGUF LoRA adapter at `path` (float32 tensors)."""
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
        writer.add_tensor(f"{tensor}.lora_a", np.ascontiguousarray(a, dtype=np.float32))
        writer.add_tensor(f"{tensor}.lora_b", np.ascontiguousarray(b, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
