"""The core imports no UI, no model runtime and no database driver."""

import subprocess
import sys
from pathlib import Path

CORE = [
    "assistant.core",
    "assistant.core.prompt_plan",
    "assistant.core.settings",
    "assistant.core.records",
    "assistant.compose",
    "assistant.cli",
    "assistant.llm.templates",
    "assistant.llm.gguf",
    "assistant.llm.catalog",
    "assistant.store.lance",
    "assistant.embedder",
    "assistant.core.formats.transcript",
    "assistant.mcp_server",  # the MCP SDK loads only when `assistant mcp` serves
]
HEAVY = ["textual", "llama_cpp", "lancedb", "torch", "sentence_transformers", "pyarrow", "mcp"]


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


def test_opening_a_store_skips_the_rest_client_until_it_is_used(tmp_path: Path) -> None:
    """The namespace client's REST API (0.7 s of imports) loads only when touched."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from assistant.store.lance_db import LanceDatabase\n"
        f"LanceDatabase(Path({str(tmp_path / 'store')!r})).table('memories').count_rows()\n"
        "print('api', 'lance_namespace_urllib3_client.api' in sys.modules)\n"
        "import lance_namespace_urllib3_client as client\n"
        "print('class', isinstance(client.ApiClient, type))\n"
        "print('api', 'lance_namespace_urllib3_client.api' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split("\n")[:3] == ["api False", "class True", "api True"]
