"""Import LanceDB without paying for its REST namespace client.

`import lancedb` imports `lance_namespace`, which re-exports the models of
`lance_namespace_urllib3_client`. That package's `__init__` eagerly imports its whole
REST API (some 300 pydantic models and every endpoint class): about 0.7 s of a 1.6 s
import on the 2-core test machine, on every start, for a client that only a remote
namespace ever uses. A local store never does.

So before LanceDB is imported, the client package is registered *uninitialised*: its
submodules (`.models`, which LanceDB does need) import as usual, and the first
attribute read on the package itself runs its real `__init__`. Nothing is patched in
LanceDB, and if a later LanceDB does use the client, it gets the whole package, only
no faster.
"""

import importlib.util
import sys
from typing import Any

CLIENT = "lance_namespace_urllib3_client"


def defer_namespace_client() -> None:
    """Call before `import lancedb`: the namespace client's `__init__` is deferred."""
    defer_package_init(CLIENT)


def defer_package_init(name: str) -> None:
    """Register package `name` so its `__init__` runs at the first attribute read."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return
    package = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def initialise(attribute: str) -> Any:
        # Runs once: the real __init__ fills the namespace, and the hook goes away
        # before it runs, so its own imports cannot come back here.
        del package.__dict__["__getattr__"]
        loader.exec_module(package)
        return getattr(package, attribute)

    package.__getattr__ = initialise  # type: ignore[method-assign]
    sys.modules[name] = package
