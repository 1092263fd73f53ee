"""Options and safety checks of the MCP server's transports, light enough for the CLI to import."""

from __future__ import annotations

import argparse
import hmac
import ipaddress
from typing import Any

from .errors import ConfigError


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class BearerAuth:
    """Static bearer token on every HTTP request, compared in constant time."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            given = headers.get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                body = b'{"error": "missing or wrong bearer token (SPEND_MONITOR_MCP_TOKEN)"}'
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"www-authenticate", b"Bearer"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def check_http_binding(host: str, token: str | None, no_auth: bool) -> None:
    """Refuse an open server: a token is required off loopback, and --no-auth only on it."""
    if no_auth and not _is_loopback(host):
        raise ConfigError(f"--no-auth is allowed only on loopback, not {host}", "set a token")
    if not token and not no_auth:
        if not _is_loopback(host):
            raise ConfigError(
                f"refusing to serve on {host} without a token",
                "set SPEND_MONITOR_MCP_TOKEN (clients send Authorization: Bearer <token>)",
            )
        raise ConfigError(
            "SPEND_MONITOR_MCP_TOKEN is not set",
            "set it, or pass --no-auth to serve unauthenticated on loopback",
        )


def add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    parser.add_argument("--host", default="127.0.0.1", help="HTTP bind address")
    parser.add_argument("--port", type=int, default=8765, help="HTTP port")
    parser.add_argument("--no-auth", action="store_true", help="no token (loopback only)")
