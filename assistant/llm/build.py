"""What the installed llama.cpp build can do: CPU only, or a GPU backend."""

GPU_BACKENDS = ("CUDA", "METAL", "VULKAN", "HIP", "SYCL", "OPENCL", "KOMPUTE")


def build_backends() -> list[str]:
    """GPU backends compiled into llama.cpp, from its system info line."""
    import llama_cpp

    info = bytes(llama_cpp.llama_print_system_info()).decode("utf-8", "replace").upper()
    return [name for name in GPU_BACKENDS if f"{name} :" in info or f"{name}:" in info]


def describe_build() -> str:
    """One line: llama-cpp-python version, build kind and GPU offload state."""
    import llama_cpp

    backends = build_backends()
    offload = bool(llama_cpp.llama_supports_gpu_offload())
    kind = "+".join(backends) if backends else "CPU"
    state = "GPU offload available" if offload else "GPU offload unavailable (CPU only)"
    return f"llama-cpp-python {llama_cpp.__version__}, llama.cpp build: {kind}, {state}"
