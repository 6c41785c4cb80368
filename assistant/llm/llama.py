"""The llama.cpp backend (llama-cpp-python), the default way the assistant runs a model.

`Llama` is not thread-safe, so every call into it runs on one dedicated worker thread
owned by this object, whichever thread the caller is on. Prompts are rendered with our
resolved chat template and passed as tokens, so we know exactly how many there are and
how many llama.cpp could reuse from the previous turn's prefix.
"""

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from assistant.core.errors import ModelError
from assistant.core.ports.chat import ChatMessage, GenerationParams, StopCheck, Usage
from assistant.llm.gguf import GGUFInfo
from assistant.llm.templates import ChatTemplate, resolve_template

T = TypeVar("T")
FALLBACK_CONTEXT = 4096
_DONE = object()
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadOptions:
    """How to load the model: context cap, GPU layers, threads, template fallback."""

    context_length: int
    gpu_layers: int
    threads: int
    chat_template: str
    lora_path: Path | None = None


def cpu_has_amx(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether this CPU has Intel AMX tiles (Sapphire Rapids and later Xeons)."""
    try:
        flags = cpuinfo.read_text(errors="replace").split()
    except OSError:
        return False
    return "amx_int8" in flags or "amx_tile" in flags


def cpu_extra_buffers_guard() -> AbstractContextManager[None]:
    """Load the model without llama.cpp's extra CPU weight buffers on an AMX CPU.

    A llama-cpp-python 0.3.36 built here (GGML_NATIVE, so with llama.cpp's AMX
    kernels) crashed with SIGSEGV on the first decode of both the embedded SmolLM2 and
    Gemma 3 on a Xeon with AMX, in `llama_decode`; with `use_extra_bufts` off (plain
    CPU buffers) both answer. `Llama` reads its model parameters from
    `llama_model_default_params()` inside its constructor and offers no argument for
    this one, so the defaults are wrapped for the duration of the load.
    """
    if not cpu_has_amx():
        return nullcontext()
    return _extra_buffers_off()


@contextmanager
def _extra_buffers_off() -> Iterator[None]:
    import llama_cpp.llama_cpp as lib

    default = lib.llama_model_default_params

    def without_extra_buffers() -> Any:
        params = default()
        params.use_extra_bufts = False
        return params

    lib.llama_model_default_params = without_extra_buffers
    log.info("AMX CPU: loading without llama.cpp's extra CPU buffer types")
    try:
        yield
    finally:
        lib.llama_model_default_params = default


_LOG_CALLBACK: list[Any] = []
# ggml_log_level: 1 debug, 2 info, 3 warn, 4 error, 5 continuation of the previous line.
_LEVELS = {2: logging.INFO, 3: logging.WARNING, 4: logging.ERROR}


def route_llama_logs() -> None:
    """Send llama.cpp's own log lines to our log file, never to the terminal.

    llama-cpp-python prints some of them to stderr even with verbose=False, which
    would scribble over the TUI.
    """
    if _LOG_CALLBACK:
        return
    import ctypes

    import llama_cpp

    llama_log = logging.getLogger("assistant.llama_cpp")

    @llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
    def callback(level: int, text: bytes, _user_data: ctypes.c_void_p) -> None:
        line = text.decode("utf-8", "replace").rstrip()
        if line:
            llama_log.log(_LEVELS.get(level, logging.DEBUG), "%s", line)

    _LOG_CALLBACK.append(callback)  # kept alive: llama.cpp holds a raw pointer to it
    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))


def special_tokens(llm: Any) -> tuple[str, str]:
    """The BOS and EOS texts of a loaded `llama_cpp.Llama` ("" where it has none)."""

    def text(token: int) -> str:
        if token < 0:
            return ""
        return bytes(llm.detokenize([token], special=True)).decode("utf-8", "replace")

    return text(llm.token_bos()), text(llm.token_eos())


def check_adapter(path: Path, architecture: str) -> None:
    """Refuse a LoRA file that is not a complete GGUF adapter for this architecture.

    llama.cpp reads a damaged adapter without failing the load in this binding, so
    the header is checked here first (magic, truncation, type, architecture).
    """
    from assistant.llm.gguf import read_gguf

    meta = read_gguf(path).metadata
    if meta.get("general.type") != "adapter" or meta.get("adapter.type") != "lora":
        raise ModelError(f"{path} is not a LoRA adapter")
    if meta.get("general.architecture") != architecture:
        raise ModelError(
            f"{path} is an adapter for `{meta.get('general.architecture')}`, not `{architecture}`"
        )


def gpu_offload_supported() -> bool:
    """Whether this llama.cpp build can offload layers to a GPU (CUDA, Metal, Vulkan…)."""
    import llama_cpp

    return bool(llama_cpp.llama_supports_gpu_offload())


def default_threads() -> int:
    """One thread per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


class LlamaBackend:
    """A ChatBackend over one `llama_cpp.Llama`, confined to one worker thread."""

    def __init__(self, info: GGUFInfo, options: LoadOptions) -> None:
        self.info = info
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llama")
        self._usage = Usage()
        trained = info.context_length or FALLBACK_CONTEXT
        self._n_ctx = min(trained, options.context_length)
        supported = self._call(gpu_offload_supported)
        self.gpu_layers = options.gpu_layers if supported else 0
        self.threads = options.threads or default_threads()
        self.adapter_path: Path | None = None
        self.adapter_error = ""
        self._llm = self._call(lambda: self._load_with_adapter(options.lora_path))
        self.special_texts = bos, eos = self._call(self._special_tokens)
        self.adds_bos: bool = self._call(lambda: bool(self._llm._model.add_bos_token()))
        self.template: ChatTemplate = resolve_template(
            info.chat_template,
            info.architecture,
            options.chat_template,
            bos,
            eos,
            adds_bos=self.adds_bos,
        )
        self.stop_tokens, self.stop_texts = self._call(self._split_stops)

    def _call(self, fn: Callable[[], T]) -> T:
        return self._executor.submit(fn).result()

    def _load_with_adapter(self, lora_path: Path | None) -> Any:
        """Load with the LoRA adapter; a broken adapter costs the adapter, not the chat."""
        if lora_path is None:
            return self._load()
        try:
            check_adapter(lora_path, self.info.architecture)
            llm = self._load(lora_path)
        except ModelError as exc:
            self.adapter_error = f"the adapter {lora_path} did not load; using the base model"
            log.warning("%s: %s", self.adapter_error, exc.message)
            return self._load()
        self.adapter_path = lora_path
        return llm

    def _load(self, lora_path: Path | None = None) -> Any:
        import llama_cpp

        route_llama_logs()
        try:
            with cpu_extra_buffers_guard():
                llm = llama_cpp.Llama(
                    model_path=str(self.info.path),
                    n_ctx=self._n_ctx,
                    n_batch=min(512, self._n_ctx),
                    n_gpu_layers=self.gpu_layers,
                    n_threads=self.threads,
                    n_threads_batch=self.threads,
                    lora_path=str(lora_path) if lora_path else None,
                    verbose=False,
                )
            if lora_path and not llm._lora_adapter:
                # llama-cpp-python 0.3 misses a NULL adapter (it tests `is None` on a
                # pointer object) and goes on; the model must not run with it.
                llm.close()
                raise RuntimeError("llama.cpp could not read the adapter")
            return llm
        except (ValueError, RuntimeError) as exc:
            raise ModelError(
                f"llama.cpp could not load {self.info.path.name} "
                f"(architecture `{self.info.architecture}`): {exc}",
                "the file may be damaged, or this llama-cpp-python build does not support "
                "the architecture; try upgrading llama-cpp-python or another GGUF",
            ) from None

    def _special_tokens(self) -> tuple[str, str]:
        return special_tokens(self._llm)

    def _split_stops(self) -> tuple[frozenset[int], tuple[str, ...]]:
        """The template's stops, as control-token ids and as text.

        A control token such as Gemma's `<start_of_turn>` streams as no text, so a text
        stop never matches it: it is stopped by id. Text stops also cost time, since
        llama-cpp-python holds back streamed text that could begin one: a reply that
        started with `<` showed its first token one token late (bench_learning_ttft).
        """
        tokens: set[int] = set()
        texts: list[str] = []
        for stop in self.template.stop:
            ids = self._tokenize(stop, add_bos=False)
            if len(ids) == 1 and not self._llm.detokenize(ids):
                tokens.add(ids[0])
            else:
                texts.append(stop)
        return frozenset(tokens), tuple(texts)

    # -- ChatBackend --------------------------------------------------------

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def context_length(self) -> int:
        return self._n_ctx

    def count_tokens(self, text: str) -> int:
        return len(self._call(lambda: self._tokenize(text, add_bos=False)))

    def last_usage(self) -> Usage:
        return self._usage

    def _tokenize(self, text: str, add_bos: bool) -> list[int]:
        return list(self._llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True))

    def prompt_tokens(self, messages: Sequence[ChatMessage]) -> list[int]:
        """The exact tokens a prompt renders to (BOS included when the model wants it)."""
        prompt = self.template.render(messages)
        return self._call(lambda: self._tokenize(prompt, add_bos=True))

    def stream(
        self, messages: Sequence[ChatMessage], params: GenerationParams, should_stop: StopCheck
    ) -> Iterator[str]:
        tokens = self.prompt_tokens(messages)
        if len(tokens) + params.max_tokens > self._n_ctx:
            raise ModelError(
                f"the prompt ({len(tokens)} tokens) and reply ({params.max_tokens}) "
                f"exceed the context window ({self._n_ctx})",
                "lower max_tokens or raise context_length",
            )
        pieces: queue.Queue[object] = queue.Queue()
        abandoned = threading.Event()
        stopped = lambda: should_stop() or abandoned.is_set()  # noqa: E731
        future = self._executor.submit(self._generate, tokens, params, stopped, pieces)
        try:
            while (item := pieces.get()) is not _DONE:
                yield str(item)
        finally:
            abandoned.set()
            future.result()

    def _generate(
        self,
        tokens: list[int],
        params: GenerationParams,
        should_stop: StopCheck,
        pieces: "queue.Queue[object]",
    ) -> None:
        try:
            self._usage = self._run_completion(tokens, params, should_stop, pieces)
        finally:
            pieces.put(_DONE)

    def _run_completion(
        self,
        tokens: list[int],
        params: GenerationParams,
        should_stop: StopCheck,
        pieces: "queue.Queue[object]",
    ) -> Usage:
        import llama_cpp

        cached = llama_cpp.Llama.longest_token_prefix(list(self._llm._input_ids), tokens)
        # llama.cpp must evaluate at least the last prompt token to get logits.
        cached = min(cached, len(tokens) - 1)
        prompt_length = len(tokens)
        stop_tokens = self.stop_tokens

        def at_stop_token(ids: Any, _logits: Any) -> bool:
            # llama-cpp-python passes the evaluated tokens: a stop token sampled (and
            # streamed as no text) ends generation on the next step.
            return len(ids) > prompt_length and int(ids[-1]) in stop_tokens

        started = time.perf_counter()
        first = 0.0
        produced = 0
        stopped = False
        completion = self._llm.create_completion(
            prompt=tokens,
            max_tokens=params.max_tokens,
            temperature=params.temperature,
            top_p=params.top_p,
            repeat_penalty=params.repeat_penalty,
            seed=None if params.seed < 0 else params.seed,
            stop=list(self.stop_texts),
            stopping_criteria=llama_cpp.StoppingCriteriaList([at_stop_token]),
            stream=True,
        )
        try:
            for chunk in completion:
                if should_stop():
                    stopped = True
                    break
                choice = chunk["choices"][0]
                text = choice["text"]
                if choice["finish_reason"] is None:
                    produced += 1
                if not first:
                    first = time.perf_counter() - started
                if text:
                    pieces.put(text)
        finally:
            completion.close()
        return Usage(
            prompt_tokens=len(tokens),
            completion_tokens=produced,
            cached_prompt_tokens=cached,
            ttft_s=first,
            seconds=time.perf_counter() - started,
            stopped=stopped,
        )

    def generate_json(
        self, messages: Sequence[ChatMessage], schema: dict[str, object], max_tokens: int
    ) -> str:
        """Greedy completion under a JSON-schema grammar, on the model's worker thread."""
        import json

        tokens = self.prompt_tokens(messages)

        def run() -> str:
            from llama_cpp.llama_grammar import LlamaGrammar

            grammar = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
            out = self._llm.create_completion(
                prompt=tokens, max_tokens=max_tokens, temperature=0.0, grammar=grammar
            )
            return str(out["choices"][0]["text"])

        return self._call(run)

    def close(self) -> None:
        """Free the model and its worker thread."""
        llm = self._llm
        self._call(lambda: llm.close() if hasattr(llm, "close") else None)
        self._executor.shutdown(wait=True)
