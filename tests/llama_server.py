"""`python -m tests.llama_server ARGS…`: llama-cpp-python's OpenAI-compatible server,
loading its model as the app does (see `cpu_extra_buffers_guard`: on an AMX CPU the
server's own defaults crash on the first decode)."""

import runpy
import sys

from assistant.llm.llama import cpu_extra_buffers_guard

if __name__ == "__main__":
    sys.argv[0] = "llama_cpp.server"
    with cpu_extra_buffers_guard():
        runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
