"""The one outbound-HTTP policy every httpx adapter shares.

Timeouts: 10 s to connect, 30 s in all. Retries: 3 attempts, exponential backoff with jitter,
`Retry-After` honoured (capped), and only for transient failures — connection errors,
timeouts, 429 and 5xx. Any other 4xx is returned at once for the adapter to explain.
"""

from __future__ import annotations

from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
    wait_random_exponential,
)

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
ATTEMPTS = 3
MAX_RETRY_AFTER = 60.0
_backoff = wait_random_exponential(multiplier=0.5, max=8)

RetryHint = Callable[[httpx.Response], float | None]


def new_client(**kwargs: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=TIMEOUT, **kwargs)


def is_transient(response: httpx.Response) -> bool:
    return response.status_code == 429 or response.status_code >= 500


def retry_after_header(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    date_header = response.headers.get("date")
    now = parsedate_to_datetime(date_header) if date_header else None
    return max(0.0, (when - now).total_seconds()) if now else None


def _wait(hint: RetryHint) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        outcome = state.outcome
        if outcome is not None and not outcome.failed:
            told = hint(outcome.result())
            if told is not None:
                return min(told, MAX_RETRY_AFTER)
        return float(_backoff(state))

    return wait


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    retry_hint: RetryHint = retry_after_header,
    **kwargs: Any,
) -> httpx.Response:
    """One request under the shared policy. After the last attempt a transient response is
    returned (the caller reports it) and a transport error is raised."""
    retrying = AsyncRetrying(
        stop=stop_after_attempt(ATTEMPTS),
        wait=_wait(retry_hint),
        retry=retry_if_exception_type(httpx.TransportError) | retry_if_result(is_transient),
        retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
        reraise=True,
    )
    response: httpx.Response = await retrying(client.request, method, url, **kwargs)
    return response
