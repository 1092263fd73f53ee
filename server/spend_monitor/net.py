"""The one outbound policy every external call shares: httpx adapters, slack_sdk and a2a-sdk.

- Timeouts: 10 s to connect and 30 s for a whole request, response body included, so a slow
  drip that never trips a per-read timeout still ends.
- Transient failures (worth another attempt): connection errors, timeouts, 429, 5xx, and a 2xx
  whose body cannot be decoded. Any other 4xx is answered at once for the adapter to explain.
- 3 attempts, exponential backoff with full jitter, `Retry-After` honoured up to a cap.
- A run's `Deadline`: no attempt starts and no wait is taken past it. A `Retry-After` longer
  than the cap or than the time left is not waited for: the call gives up at once with the
  reason (`GaveUp`), so the part is `failed` and the next run or `repost` sends it.

`with_retries` is the loop; `send` applies it to one httpx request; SDK adapters wrap their
calls in it with a `classify` function that says which of their errors are transient.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import anyio
import httpx

from .deadline import Deadline, run_deadline

T = TypeVar("T")


@dataclass(frozen=True)
class Policy:
    attempts: int = 3
    connect_timeout: float = 10.0
    request_timeout: float = 30.0  # the whole request, body included
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    max_retry_after: float = 60.0


DEFAULT = Policy()
# Kept for adapters that read them directly.
ATTEMPTS = DEFAULT.attempts
MAX_RETRY_AFTER = DEFAULT.max_retry_after
TIMEOUT = httpx.Timeout(DEFAULT.request_timeout, connect=DEFAULT.connect_timeout)


def current() -> Policy:
    """The policy in force (read at call time, so a test may shorten it for a whole run)."""
    return DEFAULT


class Transient(Exception):
    """An attempt's failure that another attempt may cure; `retry_after` when the server said."""

    def __init__(
        self, reason: str, retry_after: float | None = None, maybe_delivered: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        # The request may have reached the server (a timeout or a reset after sending).
        self.maybe_delivered = maybe_delivered


class GaveUp(httpx.TransportError):
    """No further attempt in this run: out of attempts, out of time, or told to wait too long.
    A TransportError, so an adapter that explains transport failures explains this one too."""

    def __init__(
        self,
        reason: str,
        response: httpx.Response | None = None,
        exhausted: bool = False,
        maybe_delivered: bool = False,
        cause: BaseException | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.response = response
        self.exhausted = exhausted
        self.maybe_delivered = maybe_delivered
        # The last attempt's own error (a connection reset, a body cut short), so an adapter
        # can tell its user what kind of failure it was without reading message text.
        self.cause = cause


Classify = Callable[[BaseException], Transient | None]


def backoff(attempt: int, policy: Policy, rng: Callable[[], float] = random.random) -> float:
    """Full jitter: anywhere up to base × 2^(attempt-1), capped."""
    return rng() * min(policy.backoff_max, policy.backoff_base * 2.0 ** (attempt - 1))


def next_wait(attempt: int, failure: Transient, deadline: Deadline, policy: Policy) -> float:
    """How long to wait before attempt `attempt + 1`, or GaveUp with the reason."""
    if attempt >= policy.attempts:
        raise GaveUp(
            f"{failure.reason} ({attempt} attempts)",
            exhausted=True,
            maybe_delivered=failure.maybe_delivered,
        )
    told = failure.retry_after
    if told is not None and told > policy.max_retry_after:
        raise GaveUp(f"{failure.reason}: asked to wait {told:.0f} s, more than we wait in a run")
    wait = told if told is not None else backoff(attempt, policy)
    left = deadline.remaining()
    if wait >= left:
        raise GaveUp(f"{failure.reason}: asked to wait {wait:.0f} s with {left:.0f} s left")
    return wait


async def with_retries(
    attempt: Callable[[], Awaitable[T]],
    classify: Classify,
    deadline: Deadline | None = None,
    policy: Policy | None = None,
    idempotent: bool = True,
) -> T:
    """Run `attempt` under the policy. Each try is bounded by the request timeout and the
    deadline; a failure `classify` calls transient is retried; others propagate as they are.
    Raises GaveUp when no further attempt may be made. A call that is not `idempotent` (a
    post) is not repeated once it may have reached the server: that is for the ledger's
    recovery to settle, not for a blind second post."""
    policy = policy or current()
    deadline = deadline or run_deadline()
    number = 0
    while True:
        number += 1
        budget = min(policy.request_timeout, deadline.remaining())
        if budget <= 0:
            raise GaveUp("out of time for this run")
        try:
            with anyio.fail_after(budget):
                return await attempt()
        except TimeoutError:
            failure = Transient(f"no answer within {budget:.1f} s", maybe_delivered=True)
        except Transient as exc:
            failure = exc
        except GaveUp:
            raise
        except Exception as exc:
            found = classify(exc)
            if found is None:
                raise
            failure = found
            failure.__cause__ = exc
        if failure.maybe_delivered and not idempotent:
            raise GaveUp(failure.reason, maybe_delivered=True, cause=failure.__cause__)
        try:
            wait = next_wait(number, failure, deadline, policy)
        except GaveUp as gave_up:
            gave_up.cause = failure.__cause__
            raise
        await anyio.sleep(wait)


def new_client(**kwargs: Any) -> httpx.AsyncClient:
    policy = current()
    timeout = httpx.Timeout(policy.request_timeout, connect=policy.connect_timeout)
    return httpx.AsyncClient(timeout=timeout, **kwargs)


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


RetryHint = Callable[[httpx.Response], float | None]


def _transport(error: BaseException) -> Transient | None:
    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
        return Transient(f"cannot reach the server ({type(error).__name__})")
    if isinstance(error, httpx.TransportError):
        return Transient(f"the connection failed ({type(error).__name__})", maybe_delivered=True)
    if isinstance(error, httpx.DecodingError):  # an answer came, but cannot be read
        return Transient("a body that cannot be decoded", maybe_delivered=True)
    return None


def _decodes(response: httpx.Response) -> bool:
    try:
        response.json()
    except ValueError:
        return False
    return True


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    retry_hint: RetryHint = retry_after_header,
    deadline: Deadline | None = None,
    expect_json: bool = False,
    idempotent: bool = True,
    read: Callable[[httpx.Response], Awaitable[None]] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """One request under the shared policy. After the last attempt a transient response is
    returned (the caller reports it); a transport failure, or giving up early (a long
    `Retry-After`, the deadline), raises GaveUp with the reason. With `expect_json`, a 2xx body
    that is not JSON is transient too. With `read`, a 2xx body is handed to it as it arrives
    instead of being kept (a large answer never sits in memory whole): it runs inside the
    attempt, so the request timeout covers it and a connection broken mid-body is retried
    like any other (each attempt calls `read` afresh); other answers are read whole."""
    last: list[httpx.Response] = []

    async def attempt() -> httpx.Response:
        last.clear()
        async with client.stream(method, url, **kwargs) as response:
            if read is not None and response.is_success:
                await read(response)
            else:
                await response.aread()
        if is_transient(response):
            last[:] = [response]
            raise Transient(f"HTTP {response.status_code}", retry_hint(response))
        if expect_json and response.is_success and not _decodes(response):
            last[:] = [response]
            raise Transient(
                f"HTTP {response.status_code} with a body that is not JSON", maybe_delivered=True
            )
        return response

    try:
        return await with_retries(attempt, _transport, deadline, idempotent=idempotent)
    except GaveUp as exc:
        if last and exc.exhausted:
            return last[0]
        response = last[0] if last else None
        raise GaveUp(
            exc.reason, response, maybe_delivered=exc.maybe_delivered, cause=exc.cause
        ) from None
