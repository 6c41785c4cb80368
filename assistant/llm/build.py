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


def describe_offload(gpu_layers: int) -> str:
    """One line: the configured `gpu_layers` and what this build will make of it."""
    import llama_cpp

    wanted = "all layers" if gpu_layers < 0 else f"{gpu_layers} layers"
    configured = f"gpu_layers = {gpu_layers} ({wanted})"
    if gpu_layers == 0:
        return f"GPU offload: off, {configured}: the model runs on the CPU"
    if llama_cpp.llama_supports_gpu_offload():
        return f"GPU offload: on, {configured} offloaded by this build"
    return (
        f"GPU offload: unavailable, {configured} but this build is CPU only "
        "(install a CUDA or Metal build of llama-cpp-python to offload)"
    )
