from pathlib import Path

import pytest

from assistant.core.errors import ModelError
from assistant.llm.gguf import read_gguf


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        read_gguf(tmp_path / "nope.gguf")


@pytest.mark.parametrize("content", [b"", b"GGUF", b"PK\x03\x04" + b"\x00" * 100])
def test_not_a_gguf(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.gguf"
    path.write_bytes(content)
    with pytest.raises(ModelError, match=r"not a GGUF|truncated"):
        read_gguf(path)


def test_header_cut_short(gguf_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "short.gguf"
    path.write_bytes(gguf_path.read_bytes()[:5000])
    with pytest.raises(ModelError, match="truncated"):
        read_gguf(path)


def test_directory_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not a file"):
        read_gguf(tmp_path)


def test_real_header(gguf_path: Path) -> None:
    info = read_gguf(gguf_path)
    assert info.version == 3
    assert info.context_length == 8192  # SmolLM2-135M-Instruct, the default
    assert info.tensor_count > 100
    assert info.metadata["tokenizer.ggml.bos_token_id"] == 1
