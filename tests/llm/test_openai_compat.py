"""The ``openai`` backend against real peers: llama_cpp.server (SmolLM2) and small HTTP servers."""

from __future__ import annotations

import logging
import re
import time

import pytest
from llm_peers import Reply, free_port, json_reply, sse_reply

from rag.config import Settings
from rag.errors import BackendError
from rag.llm.base import Request, get_backend
from rag.llm.openai_compat import OpenAIBackend

HELLO = [{"role": "user", "content": "Say hello in one short sentence."}]


def _request(max_tokens: int = 24) -> Request:
    return Request(question="hello", messages=HELLO, max_tokens=max_tokens)


# -- the real llama.cpp server --------------------------------------------------------


@pytest.mark.server
def test_complete_non_streaming(llama_server):
    backend = OpenAIBackend(llama_server.base_url, model=llama_server.model, timeout=60)
    text = backend.complete(_request())
    assert isinstance(text, str) and text.strip()


@pytest.mark.server
def test_stream_yields_several_chunks(llama_server):
    backend = OpenAIBackend(llama_server.base_url, model=llama_server.model, timeout=60)
    chunks = list(backend.stream(_request(max_tokens=12)))
    assert len(chunks) > 1
    assert all(isinstance(c, str) and c for c in chunks)
    # max_tokens reached the server: one token per event at most.
    assert len(chunks) <= 12


@pytest.mark.server
def test_model_discovered_from_server_when_unset(llama_server):
    backend = OpenAIBackend.from_settings(
        Settings(llm_backend="openai", openai_base_url=llama_server.base_url)
    )
    assert backend.model_name() == llama_server.model
    assert backend.complete(_request(max_tokens=4)).strip()


@pytest.mark.server
def test_registry_builds_openai_backend_from_settings(llama_server):
    settings = Settings(
        llm_backend="openai", openai_base_url=llama_server.base_url, llm_model=llama_server.model
    )
    backend = get_backend(settings)
    assert isinstance(backend, OpenAIBackend)
    assert "".join(backend.stream(_request(max_tokens=4))).strip()


@pytest.mark.server
def test_llama_server_ignores_unknown_model_names(llama_server):
    # What llama_cpp.server really does: an unknown model name falls back to the model it
    # has loaded (LlamaProxy.__call__), so there is no error to map here. OpenAI's real
    # 404 model_not_found is covered below with a scripted peer.
    backend = OpenAIBackend(llama_server.base_url, model="no-such-model", timeout=60)
    assert backend.complete(_request(max_tokens=4)).strip()


@pytest.mark.server
def test_missing_api_key_is_401(llama_server_with_key, caplog):
    caplog.set_level(logging.DEBUG)
    backend = OpenAIBackend(llama_server_with_key.base_url, model="m", timeout=30)
    with pytest.raises(BackendError) as err:
        backend.complete(_request())
    msg = str(err.value)
    assert "401" in msg and llama_server_with_key.base_url in msg
    assert "RAG_OPENAI_API_KEY" in msg and "no API key is set" in msg


@pytest.mark.server
def test_wrong_api_key_is_401_and_never_echoed(llama_server_with_key, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "sk-wrong-key-12345"
    backend = OpenAIBackend(llama_server_with_key.base_url, model="m", api_key=wrong, timeout=30)
    with pytest.raises(BackendError) as err:
        list(backend.stream(_request()))
    msg = str(err.value)
    assert "401" in msg and "RAG_OPENAI_API_KEY" in msg
    assert wrong not in msg and wrong not in repr(backend) and wrong not in caplog.text


@pytest.mark.server
def test_right_api_key_streams(llama_server_with_key):
    backend = OpenAIBackend(llama_server_with_key.base_url, model="m", api_key="secret", timeout=60)
    assert "".join(backend.stream(_request(max_tokens=6))).strip()


# -- failures from real sockets -------------------------------------------------------


def test_connection_refused_names_url_and_fix():
    url = f"http://127.0.0.1:{free_port()}/v1"
    backend = OpenAIBackend(url, model="m", timeout=5)
    started = time.monotonic()
    with pytest.raises(BackendError) as err:
        list(backend.stream(_request()))
    assert url in str(err.value) and "RAG_OPENAI_BASE_URL" in str(err.value)
    assert time.monotonic() - started < 3  # refused is not retried


def test_timeout_names_url_and_setting(silent_server):
    backend = OpenAIBackend(silent_server, model="m", timeout=0.5)
    started = time.monotonic()
    with pytest.raises(BackendError) as err:
        backend.complete(_request())
    elapsed = time.monotonic() - started
    assert silent_server in str(err.value) and "RAG_REQUEST_TIMEOUT" in str(err.value)
    assert 0.4 < elapsed < 3  # one try: a timeout is not retried


def test_429_is_retried_with_backoff_then_streams(scripted_server):
    limited = json_reply(429, {"error": {"message": "Rate limit reached"}}, **{"Retry-After": "0"})
    server = scripted_server([limited, limited, sse_reply("Astana ", "is the capital [1].")])
    backend = OpenAIBackend(server.base_url, model="m", backoff=0.05)
    started = time.monotonic()
    text = "".join(backend.stream(_request()))
    assert text == "Astana is the capital [1]."
    assert len(server.requests) == 3
    assert time.monotonic() - started >= 0.05 + 0.1  # backoff 0.05 s, then 0.1 s
    body = server.requests[-1]["json"]
    assert body["stream"] is True and body["model"] == "m" and body["messages"] == HELLO


SCHEMA = {"type": "object", "properties": {"claims": {"type": "array"}}, "required": ["claims"]}


def test_a_schema_the_server_refuses_is_asked_the_next_way_then_as_free_text(scripted_server):
    refused = json_reply(422, {"detail": "response_format: unknown type"})
    server = scripted_server([refused, refused, sse_reply('{"claims": []}')])
    backend = OpenAIBackend(server.base_url, model="m", backoff=0.01)
    request = Request(question="q", messages=HELLO, schema=SCHEMA)
    assert "".join(backend.stream(request)) == '{"claims": []}'
    styles = [r["json"].get("response_format", {}).get("type") for r in server.requests]
    assert styles == ["json_schema", "json_object", None]
    assert server.requests[1]["json"]["response_format"]["schema"] == SCHEMA
    # remembered: the next request goes straight to free text
    list(backend.stream(request))
    assert "response_format" not in server.requests[-1]["json"]


@pytest.mark.server
def test_llama_server_follows_the_schema(llama_server):
    from rag.grounding.claims import parse, schema

    backend = OpenAIBackend(llama_server.base_url, model=llama_server.model, timeout=120)
    request = Request(question="hello", messages=HELLO, max_tokens=200, schema=schema(2))
    reply = backend.complete(request)
    assert re.match(r'\s*\{\s*"claims"', reply), reply  # the grammar held from the start
    claims = parse(reply)
    assert claims is not None or len(reply) > 150, reply  # complete, or cut by max_tokens
    assert all(c.source in (1, 2) for c in claims)


def test_429_after_three_tries_is_a_clear_error(scripted_server):
    server = scripted_server([json_reply(429, {"error": {"message": "Rate limit reached"}})])
    backend = OpenAIBackend(server.base_url, model="m", backoff=0.01)
    with pytest.raises(BackendError) as err:
        backend.complete(_request())
    assert len(server.requests) == 3
    assert "429" in str(err.value) and server.base_url in str(err.value)


def test_5xx_is_retried_and_reported(scripted_server):
    server = scripted_server([json_reply(503, {"detail": "loading model"})])
    backend = OpenAIBackend(server.base_url, model="m", backoff=0.01)
    with pytest.raises(BackendError) as err:
        list(backend.stream(_request()))
    assert len(server.requests) == 3
    assert "503" in str(err.value) and "loading model" in str(err.value)


def test_unknown_model_openai_style_404(scripted_server):
    body = {
        "error": {
            "message": "The model `gpt-9` does not exist or you do not have access to it.",
            "type": "invalid_request_error",
            "code": "model_not_found",
        }
    }
    server = scripted_server([json_reply(404, body)])
    backend = OpenAIBackend(server.base_url, model="gpt-9")
    with pytest.raises(BackendError) as err:
        backend.complete(_request())
    msg = str(err.value)
    assert "gpt-9" in msg and "RAG_LLM_MODEL" in msg and server.base_url in msg
    assert len(server.requests) == 1  # a 404 is not retried


def test_error_event_inside_stream(scripted_server):
    events = (
        b'data: {"choices":[{"delta":{"content":"Hi"}}]}\n\ndata: {"error":{"message":"boom"}}\n\n'
    )
    server = scripted_server([Reply(200, events, {"Content-Type": "text/event-stream"})])
    backend = OpenAIBackend(server.base_url, model="m")
    chunks = []
    with pytest.raises(BackendError, match="boom"):
        for chunk in backend.stream(_request()):
            chunks.append(chunk)
    assert chunks == ["Hi"]


def test_api_key_sent_as_bearer_header(scripted_server):
    server = scripted_server([sse_reply("ok")])
    backend = OpenAIBackend(server.base_url, model="m", api_key="k-123")
    assert "".join(backend.stream(_request())) == "ok"
    assert server.requests[0]["headers"]["Authorization"] == "Bearer k-123"
    backend.close()
    assert "".join(backend.stream(_request())) == "ok"  # reopens after close()


# -- a server failing in the middle of a reply (#15 item 7) ----------------------------

CLAIMS = [
    {"role": "system", "content": 'Reply in JSON: {"claims": [...]}'},
    {"role": "user", "content": '<source id="1">The bridge opened in 1932. It is long.</source>'},
]


def _stream_until_error(backend: OpenAIBackend) -> tuple[str, BackendError]:
    got = []
    with pytest.raises(BackendError) as err:
        for chunk in backend.stream(Request(question="q", messages=CLAIMS)):
            got.append(chunk)
    return "".join(got), err.value


def test_the_whole_reply_streams_from_the_answer_peer(answer_peer):
    peer = answer_peer()
    text = "".join(OpenAIBackend(peer.base_url).stream(Request(question="q", messages=CLAIMS)))
    assert text == '{"claims": [{"source": 1, "text": "The bridge opened in 1932."}]}'


def test_a_connection_dropped_mid_stream_is_one_clear_error(answer_peer):
    peer = answer_peer(mode="die")
    got, err = _stream_until_error(OpenAIBackend(peer.base_url, model="m", timeout=30))
    assert got.startswith('{"claims"') and "1932" not in got  # half a reply came
    assert "broke while streaming" in str(err) and "ask again" in str(err)
    assert peer.base_url in str(err)


def test_a_stream_that_just_ends_before_done_is_not_taken_for_the_answer(answer_peer):
    peer = answer_peer(mode="cut")  # no length, no chunks: the body simply ends early
    got, err = _stream_until_error(OpenAIBackend(peer.base_url, model="m", timeout=30))
    assert got and "1932" not in got
    assert "stopped in the middle of its reply" in str(err) and "ask again" in str(err)


def test_a_server_that_stops_sending_mid_stream_times_out_clearly(answer_peer):
    peer = answer_peer(mode="stall")
    got, err = _stream_until_error(OpenAIBackend(peer.base_url, model="m", timeout=1))
    assert got and "1932" not in got
    assert "did not answer within 1 s" in str(err) and "RAG_REQUEST_TIMEOUT" in str(err)


def test_a_finish_reason_ends_a_reply_without_done(scripted_server):
    events = (
        b'data: {"choices":[{"delta":{"content":"Hi"}}]}\n\n'
        b'data: {"choices":[{"delta":{},"finish_reason":"length"}]}\n\n'
    )
    server = scripted_server([Reply(200, events, {"Content-Type": "text/event-stream"})])
    assert "".join(OpenAIBackend(server.base_url, model="m").stream(_request())) == "Hi"
