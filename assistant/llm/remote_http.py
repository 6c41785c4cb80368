"""JSON over HTTP to an OpenAI-compatible server, with the stdlib only.

One request at a time, server-sent events read line by line: `http.client` is enough,
so the remote backend adds no dependency. Every failure (refused, timed out, an HTTP
error status, a reply that is not JSON) becomes a `ModelError` with a hint, and the API
key only ever goes into the Authorization header.
"""

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from assistant.core.errors import ModelError


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
            detail = error_detail(_read(response, conn, self, path))
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


def error_detail(raw: bytes) -> str:
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


def sse_events(
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
                f"{error_detail(payload.encode())}",
                "see the model server's log",
            )
        yield event
