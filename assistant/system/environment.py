"""The environment of one process: where the app lives and how it is configured."""

from dataclasses import dataclass

from assistant.core.settings import Settings, load_settings
from assistant.system.offline import enforce_offline
from assistant.system.paths import Paths, keep_private, resolve_paths


@dataclass(frozen=True)
class Environment:
    """Where the app lives and how it is configured, resolved once per process."""

    paths: Paths
    settings: Settings


def load_environment(**overrides: object) -> Environment:
    """Resolve paths and settings; keyword overrides come from command-line flags."""
    enforce_offline()
    paths = resolve_paths()
    keep_private(paths)
    settings = load_settings(paths.config_file).with_overrides(**overrides)
    return Environment(paths, settings)
