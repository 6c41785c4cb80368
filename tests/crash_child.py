"""Child processes for the crash test: each works on a real store and reports progress.

`python -m tests.crash_child import HOME FILE`: import chat history, one line per
progress step. `export HOME OUT ROUNDS`: export every memory to OUT again and again,
one line per finished export. `migrate STORE`: open (and so migrate) a store, with a
line before and after. The parent kills them with SIGKILL between or inside steps.
"""

import os
import sys
from pathlib import Path


def _assistant(home: str) -> object:
    os.environ["ASSISTANT_HOME"] = home
    from assistant.compose import build_assistant, load_environment

    return build_assistant(load_environment())


def _steps(text: str) -> None:
    """Print the import's steps (not its per-line reading progress)."""
    if not text.startswith("Reading"):
        print(text, flush=True)


def main(argv: list[str]) -> None:
    mode, *args = argv
    if mode == "import":
        from assistant.core import Assistant

        assistant = _assistant(args[0])
        assert isinstance(assistant, Assistant)
        print("ready", flush=True)
        assistant.import_history(Path(args[1]), _steps)
        print("done", flush=True)
    elif mode == "export":
        from assistant.core import Assistant

        assistant = _assistant(args[0])
        assert isinstance(assistant, Assistant)
        print("ready", flush=True)
        for _ in range(int(args[2])):
            count = assistant.export_memories(Path(args[1]))
            print(f"exported {count}", flush=True)
    elif mode == "migrate":
        from assistant.store.lance_db import LanceDatabase

        print("ready", flush=True)
        print(f"done v{LanceDatabase(Path(args[0])).schema_version()}", flush=True)
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv[1:])
