"""Where config, data, cache and models live: platformdirs, with one override.

`ASSISTANT_HOME=DIR` puts everything under DIR for that process. These are functions,
so nothing is decided or created at import time.
"""

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "assistant"
HOME_ENV = "ASSISTANT_HOME"


@dataclass(frozen=True)
class Paths:
    """The four directories the app uses."""

    config: Path
    data: Path
    cache: Path
    models: Path

    @property
    def config_file(self) -> Path:
        return self.config / "config.toml"

    @property
    def store(self) -> Path:
        return self.data / "store"

    @property
    def log_file(self) -> Path:
        return self.data / "assistant.log"

    @property
    def ui_state_file(self) -> Path:
        return self.data / "ui.json"

    def as_dict(self) -> dict[str, str]:
        return {
            "config": str(self.config),
            "data": str(self.data),
            "cache": str(self.cache),
            "models": str(self.models),
        }


def resolve_paths(home: str | None = None) -> Paths:
    """Return the app's directories under `home`, or ASSISTANT_HOME, or the platform's."""
    home = home or os.environ.get(HOME_ENV)
    if home:
        root = Path(home).expanduser().resolve()
        return Paths(root / "config", root / "data", root / "cache", root / "data" / "models")
    import platformdirs

    data = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    return Paths(
        config=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        data=data,
        cache=Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
        models=data / "models",
    )


def keep_private(paths: Paths) -> None:
    """From now on this process creates dirs 0700 and files 0600, and the app's own
    dirs are closed to other users (an older install may have made them 0755).

    A umask covers every writer at once: LanceDB's Rust code, the log, exports, the
    reassembled model. Per-file chmod calls would miss some.
    """
    os.umask(0o077)
    for root in (paths.config, paths.data, paths.cache):
        if root.is_dir():
            root.chmod(0o700)


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by the user only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path
