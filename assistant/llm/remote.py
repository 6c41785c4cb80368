"""The remote backend: any OpenAI-compatible chat server (llama-server, vLLM, Ollama, LM Studio).

For a user whose model lives on a bigger machine. Only the assembled prompt crosses the
wire; the store, the embeddings and the learning stay in this process. The transport
(stdlib only, every failure a `ModelError` with a hint) is in `remote_http`.

Token counts are an over-estimate of one token per 3 characters (English runs near 4),
so the context budget errs on the safe side. With `remote_tokenizer` on they come from
the server's tokenizer endpoint where it has one (llama-server and vLLM `/tokenize`,
llama-cpp-python `/extras/tokenize/count`); that is off by default because the texts
counted include recall candidates that may not fit, which would then leave the machine.
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

from assistant.core.errors import ModelError
from assistant.core.ports.chat import ChatMessage, GenerationParams, StopCheck, Usage
from assistant.llm.remote_http import HttpClient, HttpStatusError, sse_events

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
    server_tokenizer: bool = False


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
        """The first tokenizer endpoint the server has, or the estimate.

        Off unless asked for (`remote_tokenizer`): the core counts every recall candidate
        and every old turn to fit its budget, so the server would also see store texts
        that never make it into the prompt.
        """
        if not self.options.server_tokenizer:
            return ESTIMATE
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
            for event in sse_events(response, self.client, conn, path):
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


def _delta_text(event: dict[str, Any], client: HttpClient, path: str) -> str:
    choices = event.get("choices", [] if "usage" in event else None)
    if not isinstance(choices, list):
        raise client.bad_reply(path, "a stream event has no `choices`")
    if not choices:
        return ""  # the usage-only event at the end (`choices` empty or, on some, absent)
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
