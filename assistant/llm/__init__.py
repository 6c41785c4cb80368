"""Model adapters behind the ChatBackend port: llama.cpp, and a scripted fake for tests."""
