"""The remote backend: any OpenAI-compatible chat server (llama-server, vLLM, Ollama, LM Studio).

For a user whose model lives on a bigger machine. Only the assembled prompt crosses the
wire; the store, the embeddings and the learning stay in this process. The stdlib
`http.client` is enough (one request at a time, server-sent events read line by line),
so this adds no dependency. Every failure becomes a `ModelError` with a hint, and the
API key never appears in a message or a log line.

Token counts come from the server where it has a tokenizer endpoint (llama-server and
vLLM `/tokenize`, llama-cpp-python `/extras/tokenize/count`); otherwise they are an
over-estimate of one token per 3 characters, so the context budget errs on the safe side.
"""

import http.client
import json
import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from assistant.errors import ModelError
from assistant.llm.backend import ChatMessage, GenerationParams, StopCheck, Usage

log = logging.getLogger(__name__)

CHARS_PER_TOKEN = 3
ESTIMATE = f"estimate (1 token per {CHARS_PER_TOKEN} characters)"
_TOKENIZERS = ("/tokenize", "/extras/tokenize/count")


@dataclass(frozen=True)
class RemoteOptions:
    """Where the server is and how to talk to it."""

    base_url: str
    model: str = ""
    api_key: str = ""
    context_length: int = 8192
    timeout_s: float = 120.0


@dataclass(frozen=True)
class Endpoint:
    """A parsed base URL: the API root (`/v1`) and the server root beside it."""

    scheme: str
    host: str
    port: int | None
    api_path: str

    @property
    def root_path(self) -> str:
        """Where llama-server and vLLM put /props and /tokenize: the API root less `/v1`."""
        path = self.api_path
        return path[: -len("/v1")] if path.endswith("/v1") else path

    @classmethod
    def parse(cls, base_url: str) -> "Endpoint":
        """Parse `base_url`; a bare `http://host:port` means its `/v1`."""
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ModelError(
                f"base_url {base_url!r} is not an http:// or https:// URL",
                "set base_url to the server's API root, e.g. http://127.0.0.1:8080/v1",
            )
        try:
            port = parts.port
        except ValueError:
            raise ModelError(f"base_url {base_url!r} has a bad port", "fix base_url") from None
        path = parts.path.rstrip("/") or "/v1"
        return cls(parts.scheme, parts.hostname, port, path)


class HttpClient:
    """JSON over HTTP to one server, each failure turned into a ModelError with a hint."""

    def __init__(self, base_url: str, api_key: str, timeout_s: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.endpoint = Endpoint.parse(base_url)
        self._api_key = api_key
        self.timeout_s = timeout_s

    def _connection(self) -> http.client.HTTPConnection:
        e = self.endpoint
        kind = http.client.HTTPSConnection if e.scheme == "https" else http.client.HTTPConnection
        return kind(e.host, e.port, timeout=self.timeout_s)

    def _headers(self, has_body: bool) -> dict[str, str]:
        headers = {"Accept": "application/json, text/event-stream"}
        if has_body:
            headers["Content-Type"] = "application/json"
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def open(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """Send a request; return the open connection and a response with a 2xx status.

        The caller reads the body and must close the connection (a stream is closed
        early to stop the server generating).
        """
        conn = self._connection()
        data = json.dumps(body).encode("utf-8") if body is not None else None
        try:
            conn.request(method, path, body=data, headers=self._headers(data is not None))
            response = conn.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise self.transport_error(exc, path) from None
        if response.status >= 300:
            detail = _error_detail(_read(response, conn, self, path))
            conn.close()
            raise HttpStatusError(response.status, path, detail, self.base_url)
        return conn, response

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """One request whose reply is a JSON object."""
        conn, response = self.open(method, path, body)
        try:
            raw = _read(response, conn, self, path)
        finally:
            conn.close()
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise self.bad_reply(path, "its reply is not JSON") from None
        if not isinstance(data, dict):
            raise self.bad_reply(path, "its reply is not a JSON object")
        return data

    def bad_reply(self, path: str, what: str) -> ModelError:
        """The error for a server that answered, but not as an OpenAI-compatible one."""
        return ModelError(
            f"the model server at {self.base_url} sent an unusable reply to {path}: {what}",
            "check that base_url points at an OpenAI-compatible API (it usually ends in /v1)",
        )

    def transport_error(self, exc: OSError | http.client.HTTPException, path: str) -> ModelError:
        """The error for a connection that failed, was refused or timed out."""
        if isinstance(exc, TimeoutError):
            return ModelError(
                f"the model server at {self.base_url} did not answer {path} "
                f"within {self.timeout_s:g} s",
                "check the server is not overloaded, or raise request_timeout",
            )
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        return ModelError(
            f"cannot reach the model server at {self.base_url}: {reason}",
            "start the server (e.g. `llama-server -m MODEL.gguf --port 8080`) "
            "or fix base_url in the config",
        )


class HttpStatusError(ModelError):
    """The server answered with an HTTP error status."""

    def __init__(self, status: int, path: str, detail: str, base_url: str) -> None:
        hints = {
            401: "set the server's key in the ASSISTANT_API_KEY environment variable",
            403: "set the server's key in the ASSISTANT_API_KEY environment variable",
            404: "check base_url (it usually ends in /v1) and the model name the server lists",
        }
        hint = hints.get(
            status,
            "see the model server's log; a long prompt may need a lower "
            "context_length matching the server's window",
        )
        super().__init__(
            f"the model server at {base_url} answered HTTP {status} to {path}: {detail}", hint
        )
        self.status = status


def _read(
    response: http.client.HTTPResponse,
    conn: http.client.HTTPConnection,
    client: HttpClient,
    path: str,
) -> bytes:
    try:
        return response.read()
    except (OSError, http.client.HTTPException) as exc:
        conn.close()
        raise client.transport_error(exc, path) from None


def _error_detail(raw: bytes) -> str:
    """The server's own error message, short; servers nest it differently."""
    text = raw.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return text[:300] or "(no message)"
    if isinstance(data, dict):
        error = data.get("error", data.get("detail", data.get("message", data)))
        if isinstance(error, dict):
            error = error.get("message", error)
        return str(error)[:300]
    return text[:300]


class RemoteBackend:
    """A ChatBackend over an OpenAI-compatible `/v1/chat/completions` server."""

    def __init__(self, options: RemoteOptions, progress: Callable[[str], None]) -> None:
        self.options = options
        self.client = HttpClient(options.base_url, options.api_key, options.timeout_s)
        self._usage = Usage()
        self._stream_usage = True  # ask for usage in the stream until the server refuses
        self._json_modes = ["json_schema", "json_object", "prompt"]
        progress(f"Connecting to {self.client.base_url}…")
        listed = self._list_models()
        self.served_models = [str(m["id"]) for m in listed]
        self.model = options.model or (self.served_models[0] if self.served_models else "")
        if not self.model:
            raise ModelError(
                f"the model server at {self.client.base_url} lists no models",
                "set `model` in the config to the name the server expects",
            )
        if self.served_models and self.model not in self.served_models:
            log.warning("model %r is not among those the server lists", self.model)
        self.server_context = self._server_context(listed)
        cap = options.context_length
        self._n_ctx = min(cap, self.server_context) if self.server_context else cap
        self.tokenizer = self._find_tokenizer()
        self._count = lru_cache(maxsize=4096)(self._count_uncached)
        log.info(
            "remote backend %s: model=%s n_ctx=%d (server %s) tokens=%s",
            self.client.base_url,
            self.model,
            self._n_ctx,
            self.server_context or "unknown",
            self.tokenizer,
        )

    # -- probing the server ---------------------------------------------------

    def _api(self, suffix: str) -> str:
        return self.client.endpoint.api_path + suffix

    def _root(self, suffix: str) -> str:
        return self.client.endpoint.root_path + suffix

    def _list_models(self) -> list[dict[str, Any]]:
        """The server's `/v1/models` entries; this is also the reachability check."""
        data = self.client.call("GET", self._api("/models")).get("data")
        if not isinstance(data, list):
            raise self.client.bad_reply(self._api("/models"), "it has no `data` list")
        return [m for m in data if isinstance(m, dict) and "id" in m]

    def _server_context(self, listed: list[dict[str, Any]]) -> int:
        """The server's context window if it says: llama-server /props, vLLM max_model_len."""
        try:
            props = self.client.call("GET", self._root("/props"))
        except ModelError:  # not llama-server; the server itself answered /models
            props = {}
        settings = props.get("default_generation_settings")
        for source in (props, settings if isinstance(settings, dict) else {}):
            if isinstance(source.get("n_ctx"), int) and source["n_ctx"] > 0:
                return int(source["n_ctx"])
        for entry in listed:
            length = entry.get("max_model_len")
            if entry["id"] == self.model and isinstance(length, int) and length > 0:
                return length
        return 0

    def _find_tokenizer(self) -> str:
        """The first tokenizer endpoint the server has, or the estimate."""
        for path in _TOKENIZERS:
            try:
                self._server_count(self._root(path), "probe")
            except ModelError as exc:
                log.info("tokenizer %s unusable: %s", path, exc.message)
                continue
            return self._root(path)
        return ESTIMATE

    def _server_count(self, path: str, text: str) -> int:
        # llama-server reads `content`, vLLM `prompt`, llama-cpp-python `input`.
        body: dict[str, Any] = {"model": self.model, "content": text, "prompt": text}
        body |= {"input": text, "add_special": False}
        data = self.client.call("POST", path, body)
        if isinstance(data.get("count"), int):
            return int(data["count"])
        tokens = data.get("tokens")
        if isinstance(tokens, list):
            return len(tokens)
        raise self.client.bad_reply(path, "it has neither `count` nor `tokens`")

    # -- ChatBackend ------------------------------------------------------------

    @property
    def name(self) -> str:
        return f"{self.model} at {self.client.base_url}"

    @property
    def context_length(self) -> int:
        return self._n_ctx

    def count_tokens(self, text: str) -> int:
        return self._count(text)

    def _count_uncached(self, text: str) -> int:
        if self.tokenizer == ESTIMATE:
            return math.ceil(len(text) / CHARS_PER_TOKEN)
        return self._server_count(self.tokenizer, text)

    @property
    def json_modes(self) -> tuple[str, ...]:
        """The `generate_json` forms still to try, in order (refused ones are dropped)."""
        return tuple(self._json_modes)

    def _count_or_estimate(self, text: str) -> int:
        """For usage after a stream: a server gone since must not hide the reply."""
        try:
            return self.count_tokens(text)
        except ModelError:
            return math.ceil(len(text) / CHARS_PER_TOKEN)

    def last_usage(self) -> Usage:
        return self._usage

    def _request(self, messages: Sequence[ChatMessage], params: GenerationParams) -> dict[str, Any]:
        # System messages go as they are: the server applies the model's own template.
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
        }
        if params.seed >= 0:
            body["seed"] = params.seed
        return body

    def stream(
        self, messages: Sequence[ChatMessage], params: GenerationParams, should_stop: StopCheck
    ) -> Iterator[str]:
        body = self._request(messages, params) | {"stream": True}
        path = self._api("/chat/completions")
        started = time.perf_counter()
        conn, response = self._open_stream(path, body)
        first = 0.0
        produced = 0
        stopped = False
        reported: dict[str, Any] = {}
        try:
            for event in _events(response, self.client, conn, path):
                if should_stop():
                    stopped = True
                    break
                if isinstance(event.get("usage"), dict):
                    reported = event["usage"]
                text = _delta_text(event, self.client, path)
                if text:
                    produced += 1
                    if not first:
                        first = time.perf_counter() - started
                    yield text
        finally:
            conn.close()  # on stop this ends the server's generation too
            self._usage = self._finish_usage(
                messages=messages,
                reported=reported,
                produced=produced,
                first=first,
                started=started,
                stopped=stopped,
            )

    def _open_stream(
        self, path: str, body: dict[str, Any]
    ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        if self._stream_usage:
            try:
                return self.client.open(
                    "POST", path, body | {"stream_options": {"include_usage": True}}
                )
            except HttpStatusError as exc:
                if exc.status not in (400, 422):
                    raise
                log.info("server refused stream_options; streaming without usage")
                self._stream_usage = False
        return self.client.open("POST", path, body)

    def _finish_usage(
        self,
        *,
        messages: Sequence[ChatMessage],
        reported: dict[str, Any],
        produced: int,
        first: float,
        started: float,
        stopped: bool,
    ) -> Usage:
        """Usage from the server's report where it sent one, else from our own counts."""
        prompt = reported.get("prompt_tokens")
        if not isinstance(prompt, int):
            prompt = sum(self._count_or_estimate(m.content) for m in messages)
        completion = reported.get("completion_tokens")
        if not isinstance(completion, int) or stopped:
            completion = produced
        details = reported.get("prompt_tokens_details")
        cached = details.get("cached_tokens") if isinstance(details, dict) else None
        return Usage(
            prompt_tokens=prompt,
            completion_tokens=completion,
            cached_prompt_tokens=cached if isinstance(cached, int) else 0,
            ttft_s=first,
            seconds=time.perf_counter() - started,
            stopped=stopped,
        )

    def generate_json(
        self, messages: Sequence[ChatMessage], schema: dict[str, object], max_tokens: int
    ) -> str:
        """JSON via `response_format` (json_schema, then json_object), else a plain prompt.

        Servers differ: llama-server takes both forms, vLLM, Ollama and LM Studio take
        json_schema, llama-cpp-python only json_object with a schema. The first form the
        server refuses is not tried again.
        """
        params = GenerationParams(max_tokens=max_tokens, temperature=0.0)
        path = self._api("/chat/completions")
        last: HttpStatusError | None = None
        for mode in list(self._json_modes):
            body = self._request(messages, params)
            if mode == "json_schema":
                body["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": "reply", "schema": schema, "strict": True},
                }
            elif mode == "json_object":
                body["response_format"] = {"type": "json_object", "schema": schema}
            else:
                body["messages"] = _with_schema_instruction(body["messages"], schema)
            try:
                reply = self.client.call("POST", path, body)
            except HttpStatusError as exc:
                if mode == "prompt":
                    raise
                log.info("server refused response_format %s: %s", mode, exc.message)
                self._json_modes.remove(mode)
                last = exc
                continue
            text = _message_text(reply, self.client, path)
            return text if mode != "prompt" else _json_only(text, schema)
        raise last or ModelError("no JSON mode left", "restart the assistant")


def _events(
    response: http.client.HTTPResponse,
    client: HttpClient,
    conn: http.client.HTTPConnection,
    path: str,
) -> Iterator[dict[str, Any]]:
    """The JSON payloads of a server-sent event stream, up to `[DONE]`."""
    while True:
        try:
            line = response.readline()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise client.transport_error(exc, path) from None
        if not line:
            return
        text = line.decode("utf-8", "replace").strip()
        if not text.startswith("data:"):
            continue  # blank separators, comments, `event:` lines
        payload = text[len("data:") :].strip()
        if payload == "[DONE]":
            return
        try:
            event = json.loads(payload)
        except json.JSONDecodeError:
            raise client.bad_reply(path, "a stream event is not JSON") from None
        if not isinstance(event, dict):
            raise client.bad_reply(path, "a stream event is not a JSON object")
        if "error" in event:
            raise ModelError(
                f"the model server at {client.base_url} failed mid-reply: "
                f"{_error_detail(payload.encode())}",
                "see the model server's log",
            )
        yield event


def _delta_text(event: dict[str, Any], client: HttpClient, path: str) -> str:
    choices = event.get("choices")
    if not isinstance(choices, list):
        raise client.bad_reply(path, "a stream event has no `choices`")
    if not choices:
        return ""  # the usage-only event at the end
    delta = choices[0].get("delta") if isinstance(choices[0], dict) else None
    content = delta.get("content") if isinstance(delta, dict) else None
    return content if isinstance(content, str) else ""


def _message_text(reply: dict[str, Any], client: HttpClient, path: str) -> str:
    try:
        content = reply["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise client.bad_reply(path, "it has no `choices[0].message.content`") from None
    return content if isinstance(content, str) else ""


def _with_schema_instruction(
    messages: list[dict[str, str]], schema: dict[str, object]
) -> list[dict[str, str]]:
    """The messages with a last instruction to answer in JSON matching `schema`."""
    note = (
        "\n\nAnswer with one JSON object only, no prose and no code fence, matching this "
        f"JSON schema:\n{json.dumps(schema)}"
    )
    last = messages[-1]
    return [*messages[:-1], {"role": last["role"], "content": last["content"] + note}]


def _json_only(text: str, schema: dict[str, object]) -> str:
    """The JSON object in an unconstrained reply, checked against the schema's top level.

    A reply that does not validate is returned as it is and logged: the caller parses
    strictly and counts the failure, so it is never mistaken for an empty answer.
    """
    start, end = text.find("{"), text.rfind("}")
    candidate = text[start : end + 1] if 0 <= start < end else text
    try:
        data = json.loads(candidate)
    except json.JSONDecodeError:
        log.warning("remote JSON fallback: the reply is not JSON")
        return text
    required = schema.get("required", [])
    keys = data if isinstance(data, dict) else {}
    missing = [k for k in required if k not in keys] if isinstance(required, list) else []
    if not isinstance(data, dict) or missing:
        log.warning("remote JSON fallback: the reply misses %s", missing or "an object")
        return text
    return candidate
