"""Serving the web inbox with waitress: in the foreground (`monitor web`) or in a thread of the
daemon (`monitor run` with `[web] enabled = true`). Waitress writes no access log, so no URL
(and no token in one) reaches the logs."""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass
from typing import Any

from monitor.errors import ConfigError

log = logging.getLogger(__name__)
THREADS = 4


def split_bind(bind: str) -> tuple[str, int]:
    host, sep, port = bind.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"expected HOST:PORT (e.g. 127.0.0.1:8080), got {bind!r}", key="web.bind")
    return host.strip("[]"), int(port)


def create(app: Any, bind: str) -> Any:
    from waitress.server import create_server

    host, port = split_bind(bind)
    try:
        return create_server(app, host=host, port=port, threads=THREADS, ident="monitor")
    except OSError as exc:
        raise ConfigError(f"cannot listen on {bind}: {exc.strerror or exc}", key="web.bind") from None


@dataclass
class Running:
    """A web server in a daemon thread; `stop()` closes its socket and lets the thread end."""

    server: Any
    thread: threading.Thread

    @property
    def address(self) -> str:
        host, port = self.server.effective_host, self.server.effective_port
        return f"{host}:{port}"

    def stop(self) -> None:
        self.server.close()
        self.thread.join(timeout=5)


def start(app: Any, bind: str) -> Running:
    server = create(app, bind)

    def run() -> None:
        with contextlib.suppress(OSError):  # closed by stop()
            server.run()

    thread = threading.Thread(target=run, name="web", daemon=True)
    thread.start()
    log.warning("web inbox listening on %s:%s", server.effective_host, server.effective_port)
    return Running(server, thread)
