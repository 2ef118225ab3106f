"""A real OpenAI-compatible HTTP server on 127.0.0.1 that answers from the prompt it is sent.

It stands in for the LLM where a test is about what happens around the model (a server
dying mid-answer, concurrent sessions, where an API key goes), never about the model:
asked for claims, it quotes the first sentence of source 1 as one claim; asked the
relevance question, it says yes. ``mode`` picks how it behaves for the next requests:

    "answer"  stream the reply (server-sent events, chunked, then [DONE])
    "die"     stream most of the reply, then drop the connection in the middle of a chunk
    "cut"     stream most of it with no length or chunking, then close (the body just
              ends, as a crashed proxy leaves it: no [DONE], no finish_reason)
    "stall"   stream most of it, then say nothing more until the test ends
    "500"     HTTP 500 whose body echoes the request's Authorization header
    "401"     HTTP 401 whose body echoes the Authorization header
    "hang"    accept the request and never answer

``barrier=n``: the first n claim requests are answered only once all n are in flight
together (a server-side proof that n answers run at once; 503 after ``barrier_timeout``).
``api_key``: requests without ``Authorization: Bearer <key>`` get 401.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SOURCE_1 = re.compile(r'<source id="1"[^>]*>\s*(.+?)\s*</source>', re.S)
FIRST_SENTENCE = re.compile(r"(.+?[.!?])(?:\s|$)", re.S)


def reply_for(body: dict[str, Any]) -> str:
    """What a compliant model would write for this chat completion request."""
    prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
    if '"answers"' in prompt:
        return '{"answers": "yes"}'
    if '"claims"' not in prompt:
        return "Hello."
    found = SOURCE_1.search(prompt)
    if not found:
        return '{"claims": []}'
    sentence = FIRST_SENTENCE.match(found.group(1))
    text = (sentence.group(1) if sentence else found.group(1)).strip()
    return json.dumps({"claims": [{"source": 1, "text": text}]})


def sse(text: str, pieces: int = 6) -> list[bytes]:
    """``text`` as server-sent events in about ``pieces`` parts, then a finish and [DONE]."""
    step = max(1, len(text) // pieces)
    events = [
        {"choices": [{"index": 0, "delta": {"content": text[i : i + step]}}]}
        for i in range(0, len(text), step)
    ]
    events.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    out = [f"data: {json.dumps(e)}\n\n".encode() for e in events]
    return [*out, b"data: [DONE]\n\n"]


@dataclass
class AnswerPeer:
    """The running server: set ``mode`` between requests; ``requests`` records them."""

    base_url: str = ""
    mode: str = "answer"
    api_key: str | None = None
    barrier: int = 0
    barrier_timeout: float = 120.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    in_flight_max: int = 0
    _httpd: ThreadingHTTPServer | None = None
    _release: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _barrier: threading.Barrier | None = None
    _claims_seen: int = 0
    _in_flight: int = 0

    def start(self) -> AnswerPeer:
        peer = self
        if self.barrier:
            self._barrier = threading.Barrier(self.barrier, timeout=self.barrier_timeout)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # /v1/models
                self._json(200, {"data": [{"id": "peer-model", "object": "model"}]})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                auth = self.headers.get("Authorization", "")
                with peer._lock:
                    peer.requests.append({"path": self.path, "auth": auth, "json": body})
                    peer._in_flight += 1
                    peer.in_flight_max = max(peer.in_flight_max, peer._in_flight)
                try:
                    self._serve(body, auth)
                finally:
                    with peer._lock:
                        peer._in_flight -= 1

            def _serve(self, body: dict[str, Any], auth: str) -> None:
                if peer.api_key and auth != f"Bearer {peer.api_key}":
                    self._json(401, {"error": {"message": f"Invalid API key: {auth!r}"}})
                    return
                mode = peer.mode
                if mode in ("500", "401"):
                    message = f"internal error; request had Authorization: {auth}"
                    self._json(int(mode), {"error": {"message": message}})
                    return
                if mode == "hang":
                    peer._release.wait()
                    return
                text = reply_for(body)
                if peer._barrier is not None and text.startswith('{"claims"'):
                    with peer._lock:
                        peer._claims_seen += 1
                        wait = peer._claims_seen <= peer.barrier
                    if wait:
                        try:
                            peer._barrier.wait()
                        except threading.BrokenBarrierError:
                            self._json(503, {"error": {"message": "not concurrent"}})
                            return
                events = sse(text)
                if not body.get("stream"):
                    message = {"role": "assistant", "content": text}
                    self._json(200, {"choices": [{"index": 0, "message": message}]})
                    return
                # Most of the reply: some claim text shows, the end never comes.
                half = events[: max(1, len(events) - 4)]
                if mode == "cut":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    for e in half:
                        self.wfile.write(e)
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for e in half if mode in ("die", "stall") else events:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(e), e))
                    self.wfile.flush()
                if mode == "die":
                    self.wfile.write(b'40\r\ndata: {"choi')  # a chunk cut short
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if mode == "stall":
                    peer._release.wait()
                    return
                self.wfile.write(b"0\r\n\r\n")

            def _json(self, status: int, obj: object) -> None:
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"
        return self

    def stop(self) -> None:
        self._release.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
