"""The remote backend against a real OpenAI-compatible server on loopback.

The server is llama-cpp-python's own `llama_cpp.server` serving the embedded default
model with the chat template from its GGUF (through tests/llama_server.py, which loads
it as the app does). Failure modes
(refused connection, HTTP errors, bad JSON, timeouts) use a closed port, a listening
socket that never answers, and a small scripted stdlib HTTP server: real sockets, no
mocks.
"""

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from assistant.compose import Environment, build_assistant
from assistant.core import TurnFinished
from assistant.core.errors import ConfigError, ModelError
from assistant.core.learning.llm_extract import SCHEMA
from assistant.core.ports.chat import ChatMessage, GenerationParams
from assistant.core.settings import load_settings
from assistant.embedder import Embedder
from assistant.llm.process import ProcessBackend
from assistant.llm.remote import ESTIMATE, RemoteBackend, RemoteOptions
from tests.cli_helpers import assert_clean_error, run

SERVER_CTX = 2048
QUIET = lambda _line: None  # noqa: E731


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LlamaServer:
    """A `llama_cpp.server` process on 127.0.0.1, its log in a file the tests can read."""

    def __init__(self, gguf: Path, log_path: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.log_path = log_path
        self._log = log_path.open("wb")
        command = [sys.executable, "-m", "tests.llama_server", "--model", str(gguf)]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        command += ["--n_ctx", str(SERVER_CTX), "--n_threads", "2", "--verbose", "False"]
        self.proc = subprocess.Popen(
            command,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, deadline_s: float = 120.0) -> None:
        """Poll GET /v1/models until it answers; fail at once if the process dies."""
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError):
                pass
            try:
                # The pause between polls doubles as the liveness check.
                code = self.proc.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                continue
            raise AssertionError(f"llama_cpp.server exited with {code}: {self.log()}")
        raise AssertionError(f"llama_cpp.server not ready in {deadline_s} s: {self.log()}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text("utf-8", "replace")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


@pytest.fixture(scope="module")
def server(gguf_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    srv = LlamaServer(gguf_path, tmp_path_factory.mktemp("llama-server") / "server.log")
    try:
        srv.wait_ready()
        yield srv
    finally:
        srv.close()


@pytest.fixture(scope="module")
def remote(server: LlamaServer) -> RemoteBackend:
    options = RemoteOptions(
        server.base_url, "remote-gemma", context_length=8192, timeout_s=60, server_tokenizer=True
    )
    return RemoteBackend(options, QUIET)


def remote_env(cli_env: dict[str, str], server: LlamaServer) -> dict[str, str]:
    """CLI settings for the remote backend; the model name is not a GGUF on purpose."""
    return cli_env | {
        "ASSISTANT_BACKEND": "openai",
        "ASSISTANT_BASE_URL": server.base_url,
        "ASSISTANT_MODEL": "remote-gemma",
        "ASSISTANT_CONTEXT_LENGTH": str(SERVER_CTX),
        "ASSISTANT_API_KEY": "sk-test-secret-4711",
        "ASSISTANT_REMOTE_TOKENIZER": "true",
    }


def chat_requests(server: LlamaServer) -> int:
    return server.log().count("POST /v1/chat/completions")


# -- against the real server ---------------------------------------------------------


@pytest.mark.real
def test_chat_json_streams_through_the_server_and_learns_locally(
    server: LlamaServer, cli_env: dict[str, str], home: Path
) -> None:
    env = remote_env(cli_env, server)
    before = chat_requests(server)
    result = run(["chat", "--json", "I'm vegetarian and I live in Lisbon"], env)
    assert result.returncode == 0, result.stderr
    turn = json.loads(result.stdout)
    assert turn["reply"].strip()
    assert turn["usage"]["completion_tokens"] > 0
    assert turn["usage"]["stopped"] is False
    assert chat_requests(server) == before + 1  # the reply came from the server
    learned = {m["text"] for m in turn["learned"]}
    assert learned == {"The user is vegetarian.", "The user lives in Lisbon."}
    listed = run(["memory", "list", "--json"], env)
    assert {m["text"] for m in json.loads(listed.stdout)} == learned
    logs = "".join(p.read_text("utf-8", "replace") for p in home.rglob("*.log"))
    assert "sk-test-secret-4711" not in logs + result.stderr


@pytest.mark.real
def test_stop_after_the_first_piece_ends_the_stream(remote: RemoteBackend) -> None:
    pieces: list[str] = []
    params = GenerationParams(max_tokens=200, temperature=0.0)
    prompt = [ChatMessage("user", "Count from one to one hundred.")]
    for piece in remote.stream(prompt, params, lambda: bool(pieces)):
        pieces.append(piece)
    usage = remote.last_usage()
    assert len(pieces) == 1
    assert usage.stopped
    assert usage.completion_tokens == 1
    assert usage.prompt_tokens > 0
    # The closed stream freed the server: a full reply follows at once.
    again = "".join(remote.stream(prompt, GenerationParams(max_tokens=8), lambda: False))
    assert again
    assert not remote.last_usage().stopped
    # Sampled, the model may end its reply on its own before the limit (it once did at 6).
    assert 0 < remote.last_usage().completion_tokens <= 8


@pytest.mark.real
def test_server_tokenizer_counts_like_the_local_model(
    remote: RemoteBackend, real_backend: ProcessBackend
) -> None:
    assert remote.tokenizer.endswith("/extras/tokenize/count")
    text = "The quick brown fox jumps over the lazy dog, twice."
    local = real_backend.count_tokens(text)
    # llama-cpp-python's server counts with BOS: one over, never under.
    assert local <= remote.count_tokens(text) <= local + 1
    assert remote.context_length == 8192  # this server does not say; the config cap holds
    assert remote.name == f"remote-gemma at {remote.client.base_url}"


@pytest.mark.real
def test_generate_json_falls_back_to_the_form_the_server_takes(remote: RemoteBackend) -> None:
    schema: dict[str, object] = {
        "type": "object",
        "properties": {"answer": {"type": "string", "enum": ["yes", "no"]}},
        "required": ["answer"],
    }
    messages = [ChatMessage("user", "Is Paris in France? Answer yes or no.")]
    raw = remote.generate_json(messages, schema, 32)
    assert json.loads(raw)["answer"] in ("yes", "no")  # the server's grammar held
    # llama-cpp-python refuses `json_schema`, takes `json_object` with a schema.
    assert remote.json_modes == ("json_object", "prompt")


@pytest.mark.real
def test_doctor_names_the_server_and_its_model(
    server: LlamaServer, cli_env: dict[str, str]
) -> None:
    result = run(["doctor", "--json"], remote_env(cli_env, server))
    assert result.returncode == 0, result.stdout + result.stderr
    checks = {c["name"]: c for c in json.loads(result.stdout)}
    assert all(c["ok"] for c in checks.values()), checks
    detail = checks["server"]["detail"]
    assert detail.startswith(f"{server.base_url} answers; it serves ")
    assert "using model remote-gemma (not listed: the server maps the name)" in detail
    assert detail.endswith("token counts: /extras/tokenize/count")
    assert checks["model"]["detail"].startswith(f"remote-gemma at {server.base_url}")
    assert checks["gpu"]["detail"].startswith("not used here: the model runs on the server")


# -- failures ------------------------------------------------------------------------


def test_a_closed_port_is_a_clear_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(ModelError) as caught:
        RemoteBackend(RemoteOptions(url), QUIET)
    assert caught.value.message.startswith(f"cannot reach the model server at {url}")
    assert "base_url" in caught.value.hint


def test_cli_chat_with_the_server_down_exits_with_a_hint(cli_env: dict[str, str]) -> None:
    env = cli_env | {
        "ASSISTANT_BACKEND": "openai",
        "ASSISTANT_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
    }
    assert_clean_error(run(["chat", "hi"], env), "cannot reach the model server")


def test_doctor_with_the_server_down_says_what_to_fix(cli_env: dict[str, str]) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    env = cli_env | {"ASSISTANT_BACKEND": "openai", "ASSISTANT_BASE_URL": url}
    result = run(["doctor"], env)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    server = lines.index(
        f"FAIL server    cannot reach the model server at {url}: Connection refused"
    )
    assert lines[server + 1].startswith("     hint: start the server")


def test_version_names_build_offload_and_backend(cli_env: dict[str, str]) -> None:
    local = run(["--version"], cli_env | {"ASSISTANT_GPU_LAYERS": "0"})
    assert local.returncode == 0
    lines = local.stdout.splitlines()
    assert "llama.cpp build:" in lines[1]
    assert lines[2] == "GPU offload: off, gpu_layers = 0 (0 layers): the model runs on the CPU"
    assert lines[3].startswith("backend: llama.cpp in a child process, model ")
    env = cli_env | {"ASSISTANT_BACKEND": "openai", "ASSISTANT_BASE_URL": "http://gpu-box:8080/v1"}
    remote = run(["--version"], env | {"ASSISTANT_MODEL": "qwen2.5:14b"})
    assert remote.stdout.splitlines()[3] == (
        "backend: remote OpenAI-compatible server at http://gpu-box:8080/v1, model qwen2.5:14b"
    )


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()  # the kernel completes the handshake; nobody ever replies
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
        with pytest.raises(ModelError) as caught:
            RemoteBackend(RemoteOptions(url, timeout_s=0.3), QUIET)
    assert "did not answer /v1/models within 0.3 s" in caught.value.message
    assert "request_timeout" in caught.value.hint


class Scripted(BaseHTTPRequestHandler):
    """Answers each path with the next of its scripted (status, body) pairs; the last repeats."""

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        assert isinstance(self.server, ScriptedServer)
        self.server.bodies.append((self.path, json.loads(body)))
        self._answer()

    def _answer(self) -> None:
        server = self.server
        assert isinstance(server, ScriptedServer)
        server.seen.append((self.path, self.headers.get("Authorization", "")))
        answers = server.script.get(self.path, [(404, b'{"detail": "Not Found"}')])
        status, body = answers.pop(0) if len(answers) > 1 else answers[0]
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class ScriptedServer(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Scripted)
        self.script: dict[str, list[tuple[int, bytes]]] = {}
        self.seen: list[tuple[str, str]] = []
        self.bodies: list[tuple[str, dict[str, Any]]] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    srv = ScriptedServer()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    thread.join()
    srv.server_close()


MODELS = b'{"object": "list", "data": [{"id": "big-model", "max_model_len": 32768}]}'


def completion(content: str) -> tuple[int, bytes]:
    return 200, json.dumps({"choices": [{"message": {"content": content}}]}).encode()


def test_http_errors_name_the_status_and_hint_at_the_key(scripted: ScriptedServer) -> None:
    scripted.script["/v1/models"] = [(401, b'{"error": {"message": "invalid api key"}}')]
    with pytest.raises(ModelError) as caught:
        RemoteBackend(RemoteOptions(scripted.base_url, api_key="sk-hidden"), QUIET)
    assert "answered HTTP 401 to /v1/models: invalid api key" in caught.value.message
    assert "ASSISTANT_API_KEY" in caught.value.hint
    assert "sk-hidden" not in str(caught.value)
    assert scripted.seen == [("/v1/models", "Bearer sk-hidden")]


def test_a_reply_that_is_not_json_is_a_clear_error(scripted: ScriptedServer) -> None:
    scripted.script["/v1/models"] = [(200, b"<html>LM Studio welcome page</html>")]
    with pytest.raises(ModelError) as caught:
        RemoteBackend(RemoteOptions(scripted.base_url), QUIET)
    assert "unusable reply to /v1/models: its reply is not JSON" in caught.value.message
    assert "OpenAI-compatible" in caught.value.hint


def test_a_server_without_extras_estimates_and_takes_its_window(
    scripted: ScriptedServer,
) -> None:
    scripted.script["/v1/models"] = [(200, MODELS)]
    options = RemoteOptions(scripted.base_url, context_length=65536, server_tokenizer=True)
    backend = RemoteBackend(options, QUIET)
    assert backend.model == "big-model"  # the first the server lists
    assert backend.context_length == 32768  # vLLM's max_model_len, below the cap
    assert backend.tokenizer == ESTIMATE
    assert backend.count_tokens("x" * 10) == 4


def test_json_falls_back_to_a_plain_prompt_and_validates(scripted: ScriptedServer) -> None:
    scripted.script["/v1/models"] = [(200, MODELS)]
    backend = RemoteBackend(RemoteOptions(scripted.base_url), QUIET)
    scripted.script["/v1/chat/completions"] = [
        (400, b'{"error": "response_format json_schema is not supported"}'),
        (422, b'{"detail": "json_object is not supported"}'),
        completion('Sure! {"memories": []} Done.'),
        completion("no JSON here"),
    ]
    assert backend.generate_json([ChatMessage("user", "x")], SCHEMA, 16) == '{"memories": []}'
    assert backend.json_modes == ("prompt",)
    # Unusable JSON comes back as it is, for the caller's strict parser to count.
    assert backend.generate_json([ChatMessage("user", "x")], SCHEMA, 16) == "no JSON here"


def sse(*pieces: str) -> tuple[int, bytes]:
    """A whole streamed reply as one body: http.client reads it line by line all the same."""
    events = [{"choices": [{"delta": {"content": p}, "finish_reason": None}]} for p in pieces]
    lines = [f"data: {json.dumps(e)}\n\n" for e in events] + ["data: [DONE]\n\n"]
    return 200, "".join(lines).encode()


def test_usage_comes_from_the_server_when_it_reports_it(scripted: ScriptedServer) -> None:
    scripted.script["/v1/models"] = [(200, MODELS)]
    backend = RemoteBackend(RemoteOptions(scripted.base_url), QUIET)
    status, body = sse("Hel", "lo")
    usage = {"prompt_tokens": 42, "completion_tokens": 2}
    usage["prompt_tokens_details"] = {"cached_tokens": 30}  # type: ignore[assignment]
    tail = f"data: {json.dumps({'choices': [], 'usage': usage})}\n\ndata: [DONE]\n\n"
    scripted.script["/v1/chat/completions"] = [
        (400, b'{"error": "unknown field stream_options"}'),  # an older server
        (status, body.replace(b"data: [DONE]\n\n", tail.encode())),
    ]
    text = "".join(backend.stream([ChatMessage("user", "hi")], GenerationParams(), lambda: False))
    assert text == "Hello"
    got = backend.last_usage()
    assert (got.prompt_tokens, got.completion_tokens, got.cached_prompt_tokens) == (42, 2, 30)
    assert got.ttft_s > 0 and not got.stopped
    requests = [body for path, body in scripted.bodies if path == "/v1/chat/completions"]
    assert [r.get("stream_options") for r in requests] == [{"include_usage": True}, None]


def test_an_error_mid_stream_is_a_clear_error(scripted: ScriptedServer) -> None:
    scripted.script["/v1/models"] = [(200, MODELS)]
    backend = RemoteBackend(RemoteOptions(scripted.base_url), QUIET)
    error = {"error": {"message": "the request exceeds the available context size"}}
    done = b"data: [DONE]\n\n"
    body = sse("Hel")[1].replace(done, f"data: {json.dumps(error)}\n\n".encode() + done)
    scripted.script["/v1/chat/completions"] = [(200, body)]
    pieces: list[str] = []
    with pytest.raises(ModelError, match="failed mid-reply: the request exceeds the available"):
        pieces.extend(
            backend.stream([ChatMessage("user", "hi")], GenerationParams(), lambda: False)
        )
    assert pieces == ["Hel"]


@pytest.mark.real
def test_by_default_the_server_sees_the_assembled_prompt_and_nothing_else(
    scripted: ScriptedServer, env: Environment, embedder: Embedder
) -> None:
    scripted.script["/v1/models"] = [(200, MODELS)]
    scripted.script["/v1/chat/completions"] = [sse("It is", " 4711.")]
    settings = replace(env.settings, backend="openai", base_url=scripted.base_url)
    assistant = build_assistant(Environment(env.paths, settings), embedder=embedder)
    assistant.load()
    assistant.remember("The user's locker code is 4711")
    assistant.remember("The user's passport number is X9-31337")
    events = list(assistant.send("What is my locker code?"))
    turn = events[-1]
    assert isinstance(turn, TurnFinished)
    assert turn.reply.content == "It is 4711."
    assert turn.usage.completion_tokens == 2
    assert [path for path, _ in scripted.seen] == ["/v1/models", "/props", "/v1/chat/completions"]
    [(_, request)] = scripted.bodies  # only the chat request carried text: no /tokenize
    assert [m["role"] for m in request["messages"]] == ["system", "user"]
    sent = request["messages"][-1]["content"]
    assert sent.endswith("What is my locker code?")
    assert "4711" in sent  # the recalled memory is part of the prompt, by design
    assert len({m.text for m in assistant.memories()}) == 2  # the store stays here


# -- settings -------------------------------------------------------------------------


def test_backend_settings_are_validated(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('backend = "openai"\nbase_url = "http://gpu-box:8080/v1"\n')
    settings = load_settings(config, {"ASSISTANT_API_KEY": "sk-env"})
    assert (settings.backend, settings.base_url, settings.api_key) == (
        "openai",
        "http://gpu-box:8080/v1",
        "sk-env",
    )
    assert "sk-env" not in repr(settings)
    with pytest.raises(ConfigError, match="`backend` must be one of llama, openai"):
        load_settings(config, {"ASSISTANT_BACKEND": "ollama"})
    config.write_text('backend = "openai"\n')
    with pytest.raises(ConfigError, match="`base_url` must be an http"):
        load_settings(config, {})
