"""The llama.cpp model in a child process, so that nothing in the app slows generation.

Generation is Python between llama.cpp calls: sampling, detokenizing, streaming. In the
app's process that Python shares one GIL and one garbage-collected heap with the UI and
everything the app has imported (Textual, torch), and it waits for the lock while the
UI thread renders. bench_streaming alternates both in one run on a 2-core machine: the
TUI streamed at 0.84x bare llama-cpp-python with the model in the app's process and at
0.95x with it in a child, 1.14x paired round by round.

The child runs a `LlamaBackend` and answers one request at a time over its stdin and
stdout (pickled tuples): the one-model-one-worker rule `LlamaBackend` keeps with its
thread. A reply streams back piece by piece; a stop is a message that the child's
reader thread turns into a flag checked at each token. Errors come back as (message,
hint) and are raised here as `ModelError`. A child that dies (a GGUF that crashes
llama.cpp, out of memory) is a `ModelError` too, and the app goes on.
"""

import contextlib
import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from assistant.core.errors import AssistantError, ModelError
from assistant.core.ports.chat import ChatMessage, GenerationParams, StopCheck, Usage
from assistant.llm import MODEL_PROCESS_ARG
from assistant.llm.gguf import GGUFInfo
from assistant.llm.llama import LlamaBackend, LoadOptions
from assistant.llm.templates import ChatTemplate, resolve_template

log = logging.getLogger(__name__)
_STOP = "stop"
_CLOSE = "close"


def child_command() -> list[str]:
    """The command line that starts the child, in a venv or in a PyInstaller bundle."""
    if getattr(sys, "frozen", False):
        return [sys.executable, MODEL_PROCESS_ARG]
    return [sys.executable, "-m", "assistant.llm.process"]


def _child_env() -> dict[str, str]:
    """The app's environment (offline switches included), able to import this package
    from wherever the app imported it."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


class ProcessBackend:
    """A ChatBackend whose `LlamaBackend` runs in a child process.

    Thread-safe: requests from several threads take turns. A thread must not call the
    backend while it is still iterating one of its streams (it would wait for itself).
    """

    def __init__(self, info: GGUFInfo, options: LoadOptions, log_file: Path | None = None) -> None:
        self.info = info
        self._options = options
        self._log_file = log_file
        self._lock = threading.Lock()
        self._usage = Usage()
        with self._lock:
            ready = self._start()
        self._n_ctx: int = ready["context_length"]
        self.gpu_layers: int = ready["gpu_layers"]
        self.threads: int = ready["threads"]
        self.adapter_path: Path | None = ready["adapter_path"]
        self.adapter_error: str = ready["adapter_error"]
        self.stop_tokens: frozenset[int] = ready["stop_tokens"]
        self.stop_texts: tuple[str, ...] = ready["stop_texts"]
        bos, eos = ready["special_texts"]
        # The inputs the child resolved its template from, so the same template: shown
        # in the log and status, and used by the LoRA trainer to render examples.
        self.template: ChatTemplate = resolve_template(
            info.chat_template,
            info.architecture,
            options.chat_template,
            bos,
            eos,
            adds_bos=ready["adds_bos"],
        )

    def _start(self) -> dict[str, Any]:
        """Start a child and load the model in it; what it loaded, as the child saw it."""
        stderr = subprocess.DEVNULL
        if self._log_file is not None:  # a traceback in the child ends up in the app's log
            stderr = os.open(self._log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            self._child = subprocess.Popen(
                child_command(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=_child_env(),
            )
        except OSError as exc:
            raise ModelError(f"could not start the model process: {exc}") from None
        finally:
            if stderr != subprocess.DEVNULL:
                os.close(stderr)
        assert self._child.stdin is not None and self._child.stdout is not None
        self._to_child = self._child.stdin
        self._from_child = self._child.stdout
        try:
            self._send("load", self.info, self._options)
            ready: dict[str, Any] = self._receive()
        except ModelError:
            self._end()
            raise
        return ready

    def _restart_if_dead(self) -> None:
        """After the child died (the request that saw it got the error), the next
        request starts a new one: the chat goes on, with the prefix cache lost."""
        if self._child.poll() is not None:
            log.warning("restarting the model process")
            self._start()

    @property
    def pid(self) -> int:
        """The child's process id (the benchmarks add its memory to the app's)."""
        return self._child.pid

    # -- the pipe -------------------------------------------------------------

    def _send(self, *request: object) -> None:
        try:
            pickle.dump(request, self._to_child)
            self._to_child.flush()
        except (BrokenPipeError, OSError):
            raise self._died() from None

    def _receive(self) -> Any:
        """The child's next answer; its errors raised here, its end a ModelError."""
        try:
            kind, payload = pickle.load(self._from_child)
        except (EOFError, OSError, pickle.UnpicklingError):
            raise self._died() from None
        if kind == "error":
            message, hint = payload
            raise ModelError(message, hint)
        return payload

    def _died(self) -> ModelError:
        self._end()
        code = self._child.returncode
        log.error("the model process ended with exit code %s", code)
        return ModelError(
            f"the model process stopped (exit code {code})",
            "it starts again with the next request; if it stops again, see the log "
            "file: the model may need more memory than is free, or this "
            "llama-cpp-python build cannot run it",
        )

    def _call(self, op: str, *args: object) -> Any:
        with self._lock:
            self._restart_if_dead()
            self._send(op, *args)
            return self._receive()

    # -- ChatBackend --------------------------------------------------------

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def context_length(self) -> int:
        return self._n_ctx

    def count_tokens(self, text: str) -> int:
        return int(self._call("count_tokens", text))

    def prompt_tokens(self, messages: Sequence[ChatMessage]) -> list[int]:
        """The exact tokens a prompt renders to (BOS included when the model wants it)."""
        return list(self._call("prompt_tokens", list(messages)))

    def last_usage(self) -> Usage:
        return self._usage

    def stream(
        self, messages: Sequence[ChatMessage], params: GenerationParams, should_stop: StopCheck
    ) -> Iterator[str]:
        with self._lock:
            self._restart_if_dead()
            self._send("stream", list(messages), params)
            ended = stopping = False
            try:
                while not isinstance(piece := self._receive(), Usage):
                    if stopping:
                        continue  # what the child made before it saw the stop
                    if should_stop():
                        stopping = True
                        self._send(_STOP)
                        continue
                    yield piece
                ended = True
                self._usage = piece
            except ModelError:
                ended = True  # the child ended the stream with an error, or died
                raise
            finally:
                if not ended:  # the caller let go of the stream: end the child's too
                    with contextlib.suppress(ModelError):  # a dead one restarts next time
                        self._send(_STOP)
                        while not isinstance(piece := self._receive(), Usage):
                            pass
                        self._usage = piece

    def generate_json(
        self, messages: Sequence[ChatMessage], schema: dict[str, object], max_tokens: int
    ) -> str:
        return str(self._call("generate_json", list(messages), schema, max_tokens))

    def close(self) -> None:
        """Stop the child, which frees the model."""
        with self._lock:
            with contextlib.suppress(ModelError):
                self._send(_CLOSE)
            self._end()

    def _end(self) -> None:
        """Wait for the child to exit (kill it after 10 s) and close its pipes."""
        try:
            self._child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._child.kill()
            self._child.wait()
        for pipe in (self._to_child, self._from_child):
            with contextlib.suppress(OSError):  # a dead child's pipe cannot flush
                pipe.close()


# -- the child ----------------------------------------------------------------


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """Answer the app's requests until it says close or goes away.

    A reader thread takes requests off the pipe as they come, so that a stop reaches
    a reply while it is being generated; everything else runs on this thread in order.
    """
    stop = threading.Event()
    work: queue.Queue[tuple[Any, ...]] = queue.Queue()

    def read() -> None:
        while True:
            try:
                request = pickle.load(requests)
            except (EOFError, OSError, pickle.UnpicklingError):
                request = (_CLOSE,)
            if request[0] == _STOP:
                stop.set()
                continue
            work.put(request)
            if request[0] == _CLOSE:
                return

    def answer(kind: str, payload: object) -> None:
        pickle.dump((kind, payload), answers)
        answers.flush()

    threading.Thread(target=read, name="requests", daemon=True).start()
    backend: LlamaBackend | None = None
    try:
        while (request := work.get())[0] != _CLOSE:
            op, *args = request
            try:
                if op == "load":
                    backend = LlamaBackend(*args)
                    answer("ok", _description(backend))
                elif backend is None:
                    raise ModelError("the model is not loaded")
                elif op == "stream":
                    stop.clear()
                    messages, params = args
                    for piece in backend.stream(messages, params, stop.is_set):
                        answer("ok", piece)
                    answer("ok", backend.last_usage())
                else:
                    answer("ok", getattr(backend, op)(*args))
            except AssistantError as exc:
                answer("error", (exc.message, exc.hint))
            except (BrokenPipeError, OSError):
                raise
            except Exception as exc:
                log.exception("model request %s failed", op)
                answer("error", (f"the model failed: {exc}", "see the log file"))
    except (BrokenPipeError, OSError):
        pass  # the app is gone
    finally:
        if backend is not None:
            backend.close()


def _description(backend: LlamaBackend) -> dict[str, Any]:
    return {
        "context_length": backend.context_length,
        "gpu_layers": backend.gpu_layers,
        "threads": backend.threads,
        "adapter_path": backend.adapter_path,
        "adapter_error": backend.adapter_error,
        "stop_tokens": backend.stop_tokens,
        "stop_texts": backend.stop_texts,
        "special_texts": backend.special_texts,
        "adds_bos": backend.adds_bos,
    }


def main() -> None:
    """The child's entry point: the protocol moves off stdout, which joins stderr.

    llama.cpp and ggml print to stdout and stderr from C, which no Python setting
    stops; stderr is the app's log file (or nothing), never its terminal.
    """
    import signal

    # Ctrl+C in a terminal signals the whole process group: the app decides.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s model-process %(name)s: %(message)s",
    )
    serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
