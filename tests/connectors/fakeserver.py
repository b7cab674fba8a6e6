"""A tiny HTTP server on 127.0.0.1 for clients `responses` cannot mock (httpx) and for
tests that need the real urllib3 code path (its DEBUG logging of URLs)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = tuple[int, dict[str, str], str]


@dataclass
class Request:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes


class FakeServer:
    """Routes are (method, regex on path+query, callback(request) -> (status, headers, body))."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Callable[[Request], Reply]]] = []
        self.calls: list[Request] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                url = f"{server.base_url}{self.path}"
                request = Request(self.command, url, dict(self.headers.items()), body)
                server.calls.append(request)
                for method, pattern, callback in reversed(server.routes):
                    if method == self.command and pattern.search(url):
                        status, headers, text = callback(request)
                        break
                else:
                    status, headers, text = 404, {"content-type": "application/json"}, '{"error":"no route"}'
                data = text.encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def add_callback(
        self, method: str, url: re.Pattern[str] | str, callback: Callable[[Request], Reply], **_: Any
    ) -> None:
        self.routes.append((method, re.compile(url) if isinstance(url, str) else url, callback))

    @property
    def call_count(self) -> int:
        return len(self.calls)

    def reset_calls(self) -> None:
        self.calls.clear()


@contextmanager
def running() -> Iterator[FakeServer]:
    server = FakeServer()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        thread.join()
