"""Persistence. The `Store` port is plain Python; `lance` is the LanceDB adapter."""

from assistant.core.ports.store import Store

__all__ = ["Store"]
