from pathlib import Path

import pytest

from assistant.core.errors import ConfigError
from assistant.core.settings import Settings, load_settings


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "none.toml", environ={}) == Settings()


def test_file_values_are_typed(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", 'context_length = 2048\ntemperature = 0\nmodel = "x.gguf"\n')
    settings = load_settings(cfg, environ={})
    assert (settings.context_length, settings.temperature, settings.model) == (2048, 0.0, "x.gguf")


def test_unknown_key_names_key_and_file(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", "contxt_length = 10\n")
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, environ={})
    assert "contxt_length" in info.value.message
    assert str(cfg) in info.value.message


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('context_length = "big"\n', "context_length"),
        ("temperature = -1\n", "temperature"),
        ('learning = "always"\n', "learning"),
        ("model = 3\n", "model"),
        ("max_tokens = true\n", "max_tokens"),
        ("repeat_penalty = 0.5\n", "repeat_penalty"),
    ],
)
def test_bad_value_names_key(tmp_path: Path, text: str, key: str) -> None:
    cfg = write(tmp_path / "c.toml", text)
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, environ={})
    assert key in info.value.message and str(cfg) in info.value.message


def test_env_overrides_file(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", "max_tokens = 100\n")
    settings = load_settings(
        cfg, environ={"ASSISTANT_MAX_TOKENS": "64", "ASSISTANT_LEARNING": "off"}
    )
    assert settings.max_tokens == 64 and settings.learning == "off"


def test_bad_env_value_names_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ASSISTANT_THREADS"):
        load_settings(tmp_path / "none.toml", environ={"ASSISTANT_THREADS": "many"})


@pytest.mark.parametrize("content", [b"key = = 1\n", b"\xff\xfe\x00bad"])
def test_unreadable_config_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_bytes(content)
    with pytest.raises(ConfigError, match=str(cfg)):
        load_settings(cfg, environ={})


def test_config_path_that_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings(tmp_path, environ={})


def test_keys_that_depend_on_each_other_may_come_from_file_and_environment(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('backend = "openai"\nmax_tokens = 4096\n')
    env = {"ASSISTANT_BASE_URL": "http://127.0.0.1:8080/v1", "ASSISTANT_CONTEXT_LENGTH": "8192"}
    settings = load_settings(config, env)
    assert (settings.backend, settings.base_url) == ("openai", "http://127.0.0.1:8080/v1")
    assert (settings.max_tokens, settings.context_length) == (4096, 8192)
    with pytest.raises(ConfigError, match="base_url"):
        load_settings(config, {"ASSISTANT_CONTEXT_LENGTH": "8192"})  # still checked together
