"""The optional weights loop: LoRA training on a dataset export, written as a GGUF adapter.

Everything heavy (torch, transformers, peft, gguf) lives behind the `[train]` extra and
is imported only inside the functions that need it, so the app runs without it.
"""
