"""A fault-injecting HTTP proxy on loopback, in front of any emulator.

Each request either passes through to the emulator or meets the next queued fault: a reset,
a connection accepted and never answered, a response dripped a byte at a time, a canned status
(5xx with a JSON or plain-text body, 429 with or without `Retry-After`, an HTML, empty or
undecodable 200). Faults are queued per request (`inject(fault, times=n)`) or made persistent;
`refused_url()` is a port where nothing listens. The proxy counts what reached it, and the
emulator behind it counts what arrived — tests assert on those, never on our logs.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .server import closed_port_url


@dataclass(frozen=True)
class Fault:
    kind: str  # "reset" | "hang" | "drip" | "respond"
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    drip_interval: float = 0.2


def respond(status: int, body: bytes | str, content_type: str = "text/plain", **headers: str):
    raw = body.encode() if isinstance(body, str) else body
    return Fault("respond", status, raw, content_type, tuple(headers.items()))


RESET = Fault("reset")
HANG = Fault("hang")
DRIP = Fault("drip")
# The catalogue the reliability matrix draws from.
FAULTS: dict[str, Fault] = {
    "reset": RESET,
    "accept-then-hang": HANG,
    "slow-drip": DRIP,
    "503-json": respond(503, b'{"ok": false, "error": "service_unavailable"}', "application/json"),
    "502-plain-text": respond(502, "Bad Gateway"),
    "500-html": respond(500, "<html><body>Internal Server Error</body></html>", "text/html"),
    "429-retry-after-1": respond(
        429, b'{"ok": false, "error": "ratelimited"}', "application/json", **{"Retry-After": "1"}
    ),
    "429-no-retry-after": respond(
        429, b'{"ok": false, "error": "ratelimited"}', "application/json"
    ),
    "429-retry-after-3600": respond(
        429, b'{"ok": false, "error": "ratelimited"}', "application/json", **{"Retry-After": "3600"}
    ),
    "200-html": respond(200, "<html><body>Login</body></html>", "text/html"),
    "200-empty": respond(200, b"", "application/json"),
    "200-undecodable": respond(200, b"\xff\xfe{not json", "application/json"),
    "200-bad-gzip": respond(
        200, b"not gzip at all", "application/json", **{"Content-Encoding": "gzip"}
    ),
}


@dataclass
class FaultProxy:
    upstream: str
    url: str = ""
    queue: list[Fault] = field(default_factory=list)
    persistent: Fault | None = None
    seen: list[str] = field(default_factory=list)  # "POST /path" for every request that came
    passed: int = 0
    _arrival: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def wait_for(self, requests: int, timeout: float = 10.0) -> bool:
        """Block until `requests` requests have arrived (True), or `timeout` passes (False)."""
        with self._arrival:
            return self._arrival.wait_for(lambda: len(self.seen) >= requests, timeout)

    def inject(self, fault: Fault, times: int = 1) -> None:
        self.queue.extend([fault] * times)

    def always(self, fault: Fault | None) -> None:
        """Every request meets `fault` until healed with `always(None)`."""
        self.persistent = fault

    def heal(self) -> None:
        self.queue.clear()
        self.persistent = None

    def _next(self) -> Fault | None:
        if self.queue:
            return self.queue.pop(0)
        return self.persistent

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        body = await reader.readexactly(length) if length else b""
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        method, target = request_line.split(" ")[:2]
        with self._arrival:
            self.seen.append(f"{method} {urlsplit(target).path}")
            self._arrival.notify_all()
        fault = self._next()
        if fault is None or fault.kind == "drip":
            await self._forward(head, body, writer, fault)
        elif fault.kind == "reset":
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return
        elif fault.kind == "hang":
            await asyncio.Event().wait()  # held until the proxy stops
        else:
            await self._respond(writer, fault)
        writer.close()

    async def _respond(self, writer: asyncio.StreamWriter, fault: Fault) -> None:
        reason = {200: "OK", 429: "Too Many Requests"}.get(fault.status, "Error")
        lines = [
            f"HTTP/1.1 {fault.status} {reason}",
            f"Content-Type: {fault.content_type}",
            f"Content-Length: {len(fault.body)}",
            "Connection: close",
            *(f"{k}: {v}" for k, v in fault.headers),
        ]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + fault.body)
        await writer.drain()

    async def _forward(
        self,
        head: bytes,
        body: bytes,
        writer: asyncio.StreamWriter,
        fault: Fault | None,
    ) -> None:
        parts = urlsplit(self.upstream)
        lines = [
            line
            for line in head.rstrip(b"\r\n").split(b"\r\n")
            if not line.lower().startswith((b"connection:", b"keep-alive:"))
        ]
        request = b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + body
        up_reader, up_writer = await asyncio.open_connection(parts.hostname, parts.port)
        up_writer.write(request)
        await up_writer.drain()
        answer = await up_reader.read()
        up_writer.close()
        self.passed += 1
        if fault is None:
            writer.write(answer)
            await writer.drain()
            return
        for byte in answer:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(fault.drip_interval)

    @contextmanager
    def running(self) -> Iterator[FaultProxy]:
        loop = asyncio.new_event_loop()
        sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        serving = asyncio.start_server(self._serve, sock=sock)
        started = asyncio.run_coroutine_threadsafe(serving, loop).result(timeout=5)
        try:
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(_shut_down(started), loop).result(timeout=5)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
            loop.close()


async def _shut_down(server: asyncio.Server) -> None:
    """Stop accepting, then cancel every connection still held (a hang, a drip) and wait for
    each to end, so no task outlives the proxy's loop."""
    server.close()
    here = asyncio.current_task()
    pending = [task for task in asyncio.all_tasks() if task is not here]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


def refused_url() -> str:
    """Connection refused: nothing listens there."""
    return closed_port_url()
