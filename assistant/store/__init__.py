"""Persistence. The `Store` port is plain Python; `lance` is the LanceDB adapter."""

from assistant.store.port import Store

__all__ = ["Store"]
