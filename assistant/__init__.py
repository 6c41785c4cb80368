"""A local-first terminal assistant on a local GGUF model that learns from use."""

__version__ = "0.1.0"

__all__ = ["__version__"]
