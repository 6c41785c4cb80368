"""Read a GGUF file's header without loading the model.

We need the architecture, the trained context length and the chat template before
llama.cpp loads anything, and we want a clear error (not a crash inside llama.cpp) for a
file that is not a GGUF or was cut short by a failed download. The whole check is a
memory-mapped walk of the header and tensor table; no tensor data is read.
"""

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.core.errors import ModelError

MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32

# GGUF metadata value types -> struct format (fixed-size ones).
_SCALARS: dict[int, str] = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_STRING, _ARRAY = 8, 9

# ggml tensor type -> (elements per block, bytes per block), for the truncation check.
_BLOCKS: dict[int, tuple[int, int]] = {
    0: (1, 4),
    1: (1, 2),
    2: (32, 18),
    3: (32, 20),
    6: (32, 22),
    7: (32, 24),
    8: (32, 34),
    9: (32, 36),
    10: (256, 84),
    11: (256, 110),
    12: (256, 144),
    13: (256, 176),
    14: (256, 210),
    15: (256, 292),
    16: (256, 66),
    17: (256, 74),
    18: (256, 98),
    19: (256, 50),
    20: (32, 18),
    21: (256, 110),
    22: (256, 82),
    23: (256, 136),
    24: (1, 1),
    25: (1, 2),
    26: (1, 4),
    27: (1, 8),
    28: (1, 8),
    29: (256, 56),
    30: (1, 2),
    34: (256, 54),
    35: (256, 66),
    39: (32, 17),
}
# Arrays longer than this (token lists, merges) are skipped, not kept.
_KEEP_ARRAY_MAX = 64


@dataclass(frozen=True)
class GGUFInfo:
    """What the header says about a model."""

    path: Path
    version: int
    metadata: dict[str, Any]
    tensor_count: int
    size_bytes: int

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", "unknown"))

    @property
    def name(self) -> str:
        return str(self.metadata.get("general.name") or self.path.stem)

    @property
    def context_length(self) -> int | None:
        value = self.metadata.get(f"{self.architecture}.context_length")
        return int(value) if value is not None else None

    @property
    def chat_template(self) -> str | None:
        value = self.metadata.get("tokenizer.chat_template")
        return str(value) if value else None


class _Reader:
    def __init__(self, buf: mmap.mmap, path: Path) -> None:
        self.buf, self.pos, self.path = buf, 0, path

    def _need(self, n: int) -> None:
        if self.pos + n > len(self.buf):
            raise ModelError(
                f"{self.path} is truncated: its header ends early",
                "download or copy the file again",
            )

    def scalar(self, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        self._need(size)
        (value,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        return value

    def string(self) -> str:
        length = self.scalar("<Q")
        self._need(length)
        raw = bytes(self.buf[self.pos : self.pos + length])
        self.pos += length
        return raw.decode("utf-8", errors="replace")

    def skip_string(self) -> None:
        length = self.scalar("<Q")
        self._need(length)
        self.pos += length

    def value(self, kind: int) -> Any:
        if kind in _SCALARS:
            return self.scalar(_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            item_kind, count = self.scalar("<I"), self.scalar("<Q")
            if count > _KEEP_ARRAY_MAX:
                self.skip_array(item_kind, count)
                return None
            return [self.value(item_kind) for _ in range(count)]
        raise ModelError(f"{self.path} has an unknown metadata type {kind}", "the file is damaged")

    def skip_array(self, kind: int, count: int) -> None:
        if kind in _SCALARS:
            size = struct.calcsize(_SCALARS[kind]) * count
            self._need(size)
            self.pos += size
        elif kind == _STRING:
            for _ in range(count):
                self.skip_string()
        else:
            for _ in range(count):
                self.value(kind)


def read_gguf(path: Path) -> GGUFInfo:
    """Parse and sanity-check a GGUF file's header, raising ModelError on any problem."""
    if not path.exists():
        raise ModelError(
            f"model file not found: {path}", "check the path, or run `assistant paths`"
        )
    if not path.is_file():
        raise ModelError(f"model path is not a file: {path}", "point at a .gguf file")
    try:
        size = path.stat().st_size
        if size < 24:
            raise ModelError(f"{path} is not a GGUF model (only {size} bytes)", "use a .gguf file")
        with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            if buf[:4] != MAGIC:
                raise ModelError(
                    f"{path} is not a GGUF model", "use a .gguf file (llama.cpp format)"
                )
            return _parse(_Reader(buf, path), size)
    except OSError as exc:
        raise ModelError(
            f"cannot read model file {path}: {exc.strerror}", "check its permissions"
        ) from None


def _parse(reader: _Reader, size: int) -> GGUFInfo:
    reader.pos = 4
    version = reader.scalar("<I")
    if version not in (2, 3):
        raise ModelError(
            f"{reader.path} has unsupported GGUF version {version}", "use a GGUF v3 file"
        )
    tensor_count, kv_count = reader.scalar("<Q"), reader.scalar("<Q")
    metadata: dict[str, Any] = {}
    for _ in range(kv_count):
        key = reader.string()
        metadata[key] = reader.value(reader.scalar("<I"))
    data_end = 0
    for _ in range(tensor_count):
        reader.skip_string()
        n_dims = reader.scalar("<I")
        elements = 1
        for _ in range(n_dims):
            elements *= reader.scalar("<Q")
        kind, offset = reader.scalar("<I"), reader.scalar("<Q")
        if kind in _BLOCKS:
            per_block, block_bytes = _BLOCKS[kind]
            data_end = max(data_end, offset + elements // per_block * block_bytes)
    alignment = int(metadata.get("general.alignment", DEFAULT_ALIGNMENT))
    data_start = -(-reader.pos // alignment) * alignment
    if data_start + data_end > size:
        raise ModelError(
            f"{reader.path} is truncated: {size} bytes, but its tensors need "
            f"{data_start + data_end}",
            "the download or copy was cut short; fetch the file again",
        )
    return GGUFInfo(reader.path, version, metadata, tensor_count, size)
