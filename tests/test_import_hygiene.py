"""The core imports no UI, no model runtime and no database driver."""

import subprocess
import sys

CORE = [
    "assistant.core",
    "assistant.context",
    "assistant.settings",
    "assistant.records",
    "assistant.compose",
    "assistant.cli",
    "assistant.llm.templates",
    "assistant.llm.gguf",
    "assistant.llm.catalog",
    "assistant.store.lance",
    "assistant.embedding",
]
HEAVY = ["textual", "llama_cpp", "lancedb", "torch", "sentence_transformers", "pyarrow"]


def test_core_loads_no_heavy_modules() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in CORE)
        + f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_the_tui_paints_before_numpy_and_the_learning_stack_load() -> None:
    late = ["numpy", *(m for m in HEAVY if m != "textual")]
    code = f"import sys\nimport assistant.tui.app\nprint([m for m in {late!r} if m in sys.modules])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_public_names() -> None:
    import assistant

    assert assistant.__all__ == ["__version__"]
