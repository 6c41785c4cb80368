"""Model adapters behind the ChatBackend port: llama.cpp, and a scripted fake for tests."""

# The argument that makes the `assistant` executable serve the model as a child process
# (assistant/llm/process.py): how a PyInstaller bundle, which has no `python -m`, starts it.
MODEL_PROCESS_ARG = "--model-process"
