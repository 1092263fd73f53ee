"""Run an ASGI app on an ephemeral loopback port in a background thread."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Yield the base URL. The socket listens before the thread starts, so a client may
    connect at once (the kernel queues it) — no waiting for readiness."""
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def running(fake: Any) -> Iterator[Any]:
    """Serve a fake's app and tell it its URL (fakes that hand out links need to know it)."""
    with serving(fake.app()) as url:
        fake.url = url
        yield fake


def closed_port_url() -> str:
    """A loopback URL where nothing listens: connection refused, like a service that is down."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
