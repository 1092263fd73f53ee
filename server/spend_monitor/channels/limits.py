"""Pacing posts to a platform's rate limits, so concurrent destinations are not turned away.

Slack allows about one message per second per channel (short bursts pass); Telegram about one
per second per chat and thirty per second per bot. A `Pace` is a token bucket: `burst` calls go
at once, then one per `interval`. An adapter holds one for its destination, and Telegram's
adapters share one more for the whole bot. A 429 that still comes is the retry policy's
(net.py): `Retry-After` is honoured.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio

# One message per second per channel or chat, after a short burst.
DESTINATION_INTERVAL = 1.0
DESTINATION_BURST = 3
# Telegram: thirty messages per second for the whole bot — evenly spaced with a margin, since
# a burst followed by the steady rate would pass thirty within one second.
TELEGRAM_BOT_INTERVAL = 1 / 28
TELEGRAM_BOT_BURST = 1


class Pace:
    """Calls that share a Pace go at most `burst` at once, then one per `interval` seconds."""

    def __init__(
        self, interval: float, burst: int = 1, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = interval
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._at = clock()
        self._lock = anyio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._at) / self.interval)
            self._at = now
            if self._tokens < 1:
                await anyio.sleep((1 - self._tokens) * self.interval)
                self._at = self._clock()
                self._tokens = 1.0
            self._tokens -= 1


def destination_pace() -> Pace:
    return Pace(DESTINATION_INTERVAL, DESTINATION_BURST)


def telegram_bot_pace() -> Pace:
    return Pace(TELEGRAM_BOT_INTERVAL, TELEGRAM_BOT_BURST)
