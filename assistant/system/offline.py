"""Nothing phones home: set every dependency's offline and no-telemetry switch.

Called once at process start, before torch, transformers, sentence-transformers or
lancedb are imported, because several of them read these variables at import time.
"""

import os

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "DO_NOT_TRACK": "1",
    "LANCEDB_TELEMETRY": "0",
    "LANCE_TELEMETRY": "0",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "ANONYMIZED_TELEMETRY": "False",
}


def enforce_offline() -> None:
    """Force offline mode and disable telemetry for this process and its children."""
    for key, value in OFFLINE_ENV.items():
        os.environ[key] = value
