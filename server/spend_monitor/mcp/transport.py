"""Running the MCP server: stdio, or streamable HTTP behind a static bearer token.

`serve` takes typed `ServeOptions`, so `spend-monitor serve` and `spend-monitor-mcp` start the
server the same way without either front end importing the other's parser.
"""

from __future__ import annotations

import argparse
import hmac
import ipaddress
import logging
import socket
import sys
from datetime import date
from typing import Annotated, Any, Literal

import anyio
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ConfigError, UsageError
from ..launch import services_for
from ..settings import Settings

log = logging.getLogger(__name__)
LOOPBACK_HOSTS = ("127.0.0.1:*", "localhost:*", "[::1]:*")


class ServeOptions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    transport: Literal["stdio", "http"] = "stdio"
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8765
    no_auth: bool = False
    allowed_hosts: tuple[str, ...] = ()

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ServeOptions:
        try:
            return cls(
                transport=args.transport,
                host=args.host,
                port=args.port,
                no_auth=args.no_auth,
                allowed_hosts=tuple(args.allowed_host or ()),
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            raise UsageError(
                f"--{first['loc'][0]}: {first['msg']} (got {first['input']!r})"
            ) from None


def add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    parser.add_argument("--host", default="127.0.0.1", help="HTTP bind address")
    parser.add_argument("--port", type=int, default=8765, help="HTTP port (0: any free port)")
    parser.add_argument("--no-auth", action="store_true", help="no token (loopback only)")
    parser.add_argument(
        "--allowed-host",
        action="append",
        metavar="NAME[:PORT]",
        help="a Host header to accept besides the bind address (a name behind a proxy)",
    )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class BearerAuth:
    """Static bearer token on every HTTP request, compared in constant time. The scheme is
    case-insensitive (RFC 7235); a wrong token says `invalid_token`, so clients do not go
    looking for OAuth."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.expected = token.encode()

    def _accepts(self, header: bytes) -> bool:
        scheme, _, given = header.partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self.expected)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            given = headers.get(b"authorization")
            if given is None or not self._accepts(given):
                challenge = b"Bearer" if given is None else b'Bearer error="invalid_token"'
                body = b'{"error": "missing or wrong bearer token (SPEND_MONITOR_MCP_TOKEN)"}'
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"www-authenticate", challenge),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def check_http_binding(host: str, token: str | None, no_auth: bool) -> None:
    """Refuse an open server: a token is required off loopback, and --no-auth only on it."""
    if no_auth and not is_loopback(host):
        raise ConfigError(f"--no-auth is allowed only on loopback, not {host}", "set a token")
    if not token and not no_auth:
        if not is_loopback(host):
            raise ConfigError(
                f"refusing to serve on {host} without a token",
                "set SPEND_MONITOR_MCP_TOKEN (clients send Authorization: Bearer <token>)",
            )
        raise ConfigError(
            "SPEND_MONITOR_MCP_TOKEN is not set",
            "set it, or pass --no-auth to serve unauthenticated on loopback",
        )


def _bind(host: str, port: int) -> socket.socket:
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        raise ConfigError(
            f"cannot serve on {host}:{port}: {exc.strerror or exc}",
            "choose another --port (0 picks a free one) or --host",
        ) from None


def _any_port(name: str) -> tuple[str, ...]:
    """`name` as given when it names a port, else bare and with any port (a proxy on 443
    sends the bare name)."""
    has_port = ":" in name.rpartition("]")[2]
    return (name,) if has_port else (name, f"{name}:*")


def allowed_hosts(options: ServeOptions) -> list[str]:
    """Host headers to accept: loopback, the bind address, and the --allowed-host names."""
    host = f"[{options.host}]" if ":" in options.host else options.host
    return [
        *LOOPBACK_HOSTS,
        *(h for name in (host, *options.allowed_hosts) for h in _any_port(name)),
    ]


def serve(options: ServeOptions, settings: Settings, as_of: date | None) -> int:
    """Run until the client goes away (stdio) or the process is stopped (HTTP)."""
    from mcp.server.transport_security import TransportSecuritySettings

    from .server import build_server

    secret = settings.env.spend_monitor_mcp_token
    token = secret.get_secret_value() if secret else None
    sock = None
    if options.transport == "http":
        check_http_binding(options.host, token, options.no_auth)
        sock = _bind(options.host, options.port)
    services = services_for(settings, as_of)
    server = build_server(services)

    async def run() -> None:
        async with services:
            if sock is None:
                await server.run_stdio_async()
                return
            import uvicorn

            security = TransportSecuritySettings(allowed_hosts=allowed_hosts(options))
            app = server.streamable_http_app(host=options.host, transport_security=security)
            config = uvicorn.Config(BearerAuth(app, token) if token else app, log_level="warning")
            host, port = sock.getsockname()[:2]
            # Bound first, then announced: a client that read the line can connect at once.
            print(f"spend-monitor-mcp: serving http://{host}:{port}/mcp", file=sys.stderr)
            await uvicorn.Server(config).serve(sockets=[sock])

    anyio.run(run)
    return 0
