"""The learning core: extraction, memory, retrieval and context. No UI, model or DB imports."""
