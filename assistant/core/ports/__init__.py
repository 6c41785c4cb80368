"""The interfaces the core depends on; the adapters (llm/, store/, embedder) implement them."""
