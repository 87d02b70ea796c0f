"""A threaded HTTP server on 127.0.0.1 around a handler function.

A handler is ``handler(request: Request) -> Response``; ``serve(handler)`` is a context manager that
yields the base URL (``http://127.0.0.1:PORT``) and stops the server on exit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    """One HTTP request as the handler sees it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Response:
    """One HTTP response."""

    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/html; charset=utf-8"
    #: seconds to wait before answering (to imitate slow or hanging servers in tests)
    delay: float = 0.0


Handler = Callable[[Request], Response]


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def _make_request_handler(handler: Handler, log: list[Request] | None) -> type[BaseHTTPRequestHandler]:
    class _RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = Request(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            if log is not None:
                log.append(request)
            try:
                response = handler(request)
            except Exception as exc:  # noqa: BLE001 - a sandbox bug must answer 500, not hang the crawler
                response = Response(500, f"sandbox error: {exc}", content_type="text/plain")
            if response.delay:
                threading.Event().wait(response.delay)
            payload = response.body.encode("utf-8") if isinstance(response.body, str) else response.body
            self.send_response(response.status)
            if response.status != 204:
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(payload)))
            for key, value in response.headers.items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD" and response.status != 204:
                self.wfile.write(payload)

        do_GET = do_POST = do_HEAD = _handle

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - silence request logs
            return

    return _RequestHandler


@contextmanager
def serve(handler: Handler, *, log: list[Request] | None = None, port: int = 0) -> Iterator[str]:
    """Serve ``handler`` on 127.0.0.1 (ephemeral port unless ``port``); yield the base URL."""
    server = _HTTPServer(("127.0.0.1", port), _make_request_handler(handler, log))
    thread = threading.Thread(target=server.serve_forever, name="ohmylot-sandbox", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
