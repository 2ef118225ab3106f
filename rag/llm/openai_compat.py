"""The ``openai`` backend: any OpenAI-compatible chat completions server, over plain httpx.

One client serves OpenAI, Ollama (``http://127.0.0.1:11434/v1``), vLLM, LM Studio and
``python -m llama_cpp.server``. Replies stream as server-sent events:

    data: {"choices": [{"delta": {"content": "The"}}]}
    data: [DONE]

429 and 5xx replies are retried with exponential backoff (3 tries in all, honouring a short
``Retry-After``). Every failure becomes one ``BackendError`` that names the URL and the fix:
connection refused, 401/403, unknown model, rate limit, server error, timeout, and a stream
that breaks or just ends before ``[DONE]`` (or a ``finish_reason``): half a reply is never
returned as if it were the answer. The API key
goes into the ``Authorization`` header only: it is never logged or put in a message.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from rag.errors import BackendError
from rag.llm.base import Backend, Request

if TYPE_CHECKING:
    import httpx

    from rag.config import Settings

__all__ = ["OpenAIBackend"]

log = logging.getLogger(__name__)

_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_MAX_RETRY_AFTER = 10.0  # seconds: a longer Retry-After fails now instead of hanging the chat


class OpenAIBackend(Backend):
    """Chat completions against ``base_url`` (e.g. ``http://127.0.0.1:8080/v1``)."""

    name: ClassVar[str] = "openai"
    can_stream: ClassVar[bool] = True

    def __init__(
        self,
        base_url: str,
        *,
        model: str | None = None,
        api_key: str | None = None,
        timeout: float = 120.0,
        max_tries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._api_key = api_key
        self.timeout = timeout
        self.max_tries = max(1, max_tries)
        self.backoff = backoff
        self._client: httpx.Client | None = None
        #: How this server takes a JSON schema: OpenAI's "json_schema" first, then the
        #: "json_object" + "schema" of llama.cpp servers, then not at all (free text).
        self._schema_styles = ["json_schema", "json_object"]

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIBackend:
        """Base URL, model, key and timeout from ``RAG_OPENAI_BASE_URL``, ``RAG_LLM_MODEL``,
        ``RAG_OPENAI_API_KEY`` (or ``OPENAI_API_KEY``) and ``RAG_REQUEST_TIMEOUT``."""
        return cls(
            settings.openai_base_url,
            model=settings.llm_model,
            api_key=settings.openai_api_key,
            timeout=settings.request_timeout,
        )

    def __repr__(self) -> str:  # no key in reprs
        return f"OpenAIBackend(base_url={self.base_url!r}, model={self.model!r})"

    # -- public ---------------------------------------------------------------------------

    def stream(self, request: Request) -> Iterator[str]:
        """Yield the reply as the server streams it.

        Raises:
            BackendError: the server is unreachable, refuses the key, does not know the
                model, rate-limits, fails or times out.
        """
        url = f"{self.base_url}/chat/completions"
        payload = self._payload(request, stream=True)
        response = self._send("POST", url, payload, stream=True)
        try:
            if "text/event-stream" not in response.headers.get("content-type", ""):
                # A server that ignores "stream": one JSON body.
                response.read()
                yield self._message_text(url, response)
                return
            finished = False
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue  # blank separators, ": keep-alive" comments, "event:" lines
                data = line[5:].strip()
                if data == "[DONE]":
                    finished = True
                    break
                delta, last = self._delta_text(url, data)
                finished = finished or last
                if delta:
                    yield delta
            if not finished:
                # The body ended without [DONE] or a finish_reason: the server (or a proxy)
                # went away mid-reply, and what came is half an answer.
                raise BackendError(
                    f"The server at {url} stopped in the middle of its reply (the stream "
                    "ended before the answer was finished): check the server's log, then "
                    "ask again."
                )
        except _httpx().TimeoutException as exc:
            raise self._timeout_error(url) from exc
        except _httpx().TransportError as exc:
            raise BackendError(
                f"The connection to {url} broke while streaming ({type(exc).__name__}): "
                "check the server, then ask again."
            ) from exc
        finally:
            response.close()

    def complete(self, request: Request) -> str:
        """The whole reply in one non-streaming request."""
        url = f"{self.base_url}/chat/completions"
        response = self._send("POST", url, self._payload(request, stream=False), stream=False)
        return self._message_text(url, response)

    def list_models(self) -> list[str]:
        """Model ids the server offers (``GET /models``)."""
        url = f"{self.base_url}/models"
        response = self._send("GET", url, None, stream=False)
        try:
            return [m["id"] for m in response.json().get("data", [])]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackendError(
                f"{url} did not return a model list: check RAG_OPENAI_BASE_URL (it usually "
                "ends with /v1)."
            ) from exc

    def model_name(self) -> str:
        """``RAG_LLM_MODEL``, or else the first model the server lists."""
        if not self.model:
            models = self.list_models()
            if not models:
                raise BackendError(
                    f"The server at {self.base_url} lists no model: load one there, or set "
                    "RAG_LLM_MODEL."
                )
            self.model = models[0]
            log.info("Using model %r, the first one %s offers", self.model, self.base_url)
        return self.model

    def close(self) -> None:
        """Close the HTTP connection pool (the backend can still be used: it reopens)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- HTTP -----------------------------------------------------------------------------

    def _http(self) -> httpx.Client:
        if self._client is None:
            httpx = _httpx()
            headers = {"Accept": "application/json, text/event-stream"}
            if self._api_key:
                headers["Authorization"] = f"Bearer {self._api_key}"
            self._client = httpx.Client(timeout=httpx.Timeout(self.timeout), headers=headers)
        return self._client

    def _payload(self, request: Request, *, stream: bool) -> dict[str, Any]:
        messages = self.messages(request)
        payload: dict[str, Any] = {
            "model": self.model_name(),
            "messages": messages,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "stream": stream,
        }
        if request.stop:
            payload["stop"] = list(request.stop)
        if request.schema and self._schema_styles:
            payload["response_format"] = _response_format(self._schema_styles[0], request.schema)
        return payload

    def _send(self, method: str, url: str, payload: Any, *, stream: bool) -> httpx.Response:
        """One request with retries on 429/5xx; returns a 2xx response or raises."""
        httpx = _httpx()
        client = self._http()
        attempt = 0
        while True:
            attempt += 1
            try:
                req = client.build_request(method, url, json=payload)
                response = client.send(req, stream=stream)
            except httpx.ConnectError as exc:
                raise BackendError(
                    f"Cannot connect to the OpenAI-compatible server at {self.base_url}: start "
                    "it (e.g. `python -m llama_cpp.server --model FILE --port 8080`) or fix "
                    "RAG_OPENAI_BASE_URL; RAG_LLM_BACKEND=llamacpp or extractive work offline."
                ) from exc
            except httpx.TimeoutException as exc:
                raise self._timeout_error(url) from exc
            except httpx.TransportError as exc:
                raise BackendError(
                    f"Request to {url} failed ({type(exc).__name__}: {exc}): check "
                    "RAG_OPENAI_BASE_URL and the server."
                ) from exc
            if response.status_code < 400:
                return response
            body = response.read().decode("utf-8", "replace")
            response.close()
            if "response_format" in (payload or {}) and (
                response.status_code in (400, 422)
                or (response.status_code == 500 and "response_format" in body)
            ):  # llama_cpp.server answers 500 to a response_format it does not validate
                # The server does not take this way of giving a schema: try the next one
                # (free text at last), and remember it for every later request.
                schema = _schema_of(payload.pop("response_format"))
                refused = self._schema_styles.pop(0) if self._schema_styles else None
                log.info("%s refused response_format %r: trying the next way", url, refused)
                if self._schema_styles and schema is not None:
                    payload["response_format"] = _response_format(self._schema_styles[0], schema)
                attempt -= 1  # not a failure of the server: the same try, asked another way
                continue
            if response.status_code in _RETRY_STATUS and attempt < self.max_tries:
                delay = self._retry_delay(response, attempt)
                log.warning(
                    "%s answered HTTP %d (try %d of %d): retrying in %.1f s",
                    url,
                    response.status_code,
                    attempt,
                    self.max_tries,
                    delay,
                )
                time.sleep(delay)
                continue
            raise self._status_error(url, response.status_code, body)

    def _retry_delay(self, response: httpx.Response, attempt: int) -> float:
        delay = self.backoff * 2 ** (attempt - 1)
        with contextlib.suppress(ValueError):  # absent, or an HTTP date: use the backoff
            delay = max(delay, float(response.headers.get("retry-after", "")))
        return min(delay, _MAX_RETRY_AFTER)

    # -- parsing and errors ---------------------------------------------------------------

    def _delta_text(self, url: str, data: str) -> tuple[str, bool]:
        """The text of one streamed event, and whether it ends the reply."""
        try:
            event = json.loads(data)
        except ValueError:
            log.debug("Ignoring a non-JSON event from %s", url)
            return "", False
        if isinstance(event, dict) and event.get("error"):
            raise BackendError(
                f"The server at {url} reported an error while streaming: "
                f"{self._scrub(_error_message(event))}"
            )
        try:
            choice = event["choices"][0]
        except (KeyError, IndexError, TypeError):
            return "", False  # e.g. a final usage-only chunk
        text = (choice.get("delta") or {}).get("content") or choice.get("text") or ""
        return text, bool(choice.get("finish_reason"))

    def _message_text(self, url: str, response: httpx.Response) -> str:
        try:
            body = response.json()
            choice = body["choices"][0]
            return (choice.get("message") or {}).get("content") or choice.get("text") or ""
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise BackendError(
                f"{url} did not return a chat completion: check that RAG_OPENAI_BASE_URL "
                "points at an OpenAI-compatible API (it usually ends with /v1)."
            ) from exc

    def _status_error(self, url: str, status: int, body: str) -> BackendError:
        detail = self._scrub(_error_message(_json_or_text(body)))
        where = f"The server at {self.base_url}"
        if status in (401, 403):
            fix = (
                "set RAG_OPENAI_API_KEY (or OPENAI_API_KEY) to a valid key"
                if self._api_key
                else "no API key is set: set RAG_OPENAI_API_KEY (or OPENAI_API_KEY)"
            )
            return BackendError(f"{where} refused the API key (HTTP {status}): {fix}.")
        if _mentions_model(detail) or (
            status == 404 and url.endswith("/chat/completions") and "model" in body.lower()
        ):
            return BackendError(
                f"{where} does not know the model {self.model!r} (HTTP {status}: {detail}): "
                f"set RAG_LLM_MODEL to one listed at {self.base_url}/models."
            )
        if status == 404:
            return BackendError(
                f"{url} was not found (HTTP 404): check RAG_OPENAI_BASE_URL (it usually ends "
                "with /v1)."
            )
        if status == 429:
            return BackendError(
                f"{where} is rate-limiting requests (HTTP 429, {self.max_tries} tries): wait a "
                "minute and ask again, or check the account's limits."
            )
        if status >= 500:
            return BackendError(
                f"{where} failed (HTTP {status} after {self.max_tries} tries: {detail}): check "
                "the server's log, or switch RAG_LLM_BACKEND."
            )
        return BackendError(
            f"{where} rejected the request (HTTP {status}: {detail}): check RAG_LLM_MODEL and "
            "the server's limits (a smaller RAG_CONTEXT_TOKENS helps with context errors)."
        )

    def _timeout_error(self, url: str) -> BackendError:
        return BackendError(
            f"The server at {url} did not answer within {self.timeout:g} s: raise "
            "RAG_REQUEST_TIMEOUT, use a smaller model, or check that the server is not stuck."
        )

    def _scrub(self, text: str) -> str:
        # Some servers echo the Authorization header in error bodies.
        if self._api_key and self._api_key in text:
            text = text.replace(self._api_key, "***")
        return text


def _httpx() -> Any:
    import httpx  # lazily: `import rag` stays fast

    return httpx


def _response_format(style: str, schema: dict[str, Any]) -> dict[str, Any]:
    """``response_format`` for a JSON schema: OpenAI's way, or llama.cpp servers'."""
    if style == "json_schema":
        return {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}
    return {"type": "json_object", "schema": schema}


def _schema_of(response_format: Any) -> dict[str, Any] | None:
    if not isinstance(response_format, dict):
        return None
    inner = response_format.get("json_schema")
    found = inner.get("schema") if isinstance(inner, dict) else response_format.get("schema")
    return found if isinstance(found, dict) else None


def _json_or_text(body: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body


def _error_message(body: Any) -> str:
    """The human part of an error body: OpenAI ``{"error": {"message"}}``, FastAPI
    ``{"detail"}``, or the text itself, cut to 200 characters."""
    if isinstance(body, dict):
        err = body.get("error", body.get("detail", body))
        if isinstance(err, dict):
            err = err.get("message", err)
        body = err
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    text = " ".join(text.split())
    return text[:200] + ("…" if len(text) > 200 else "")


def _mentions_model(detail: str) -> bool:
    low = detail.lower()
    return "model" in low and any(
        word in low for word in ("not found", "does not exist", "unknown", "not exist", "invalid")
    )
