"""A run's deadline: the moment every outside call of the run must end by (net.py honours it).

Apart from net.py so that what only passes a deadline along (the channels' protocol, the
publishing use cases) does not load the HTTP stack.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Deadline:
    """The moment a run must end by, on a monotonic clock that tests may replace."""

    at: float
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)

    @classmethod
    def after(cls, seconds: float, clock: Callable[[], float] = time.monotonic) -> Deadline:
        return cls(clock() + seconds, clock)

    @classmethod
    def never(cls) -> Deadline:
        return cls(float("inf"))

    def remaining(self) -> float:
        return max(0.0, self.at - self.clock())

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0.0


# The deadline of the run in progress: every call made under `run_deadline_scope` honours it
# (sources and channels alike) without each adapter being handed it.
_RUN_DEADLINE: ContextVar[Deadline | None] = ContextVar("run_deadline", default=None)


@contextmanager
def run_deadline_scope(deadline: Deadline) -> Iterator[Deadline]:
    token = _RUN_DEADLINE.set(deadline)
    try:
        yield deadline
    finally:
        _RUN_DEADLINE.reset(token)


def run_deadline() -> Deadline:
    """The deadline of the run in progress, or none."""
    return _RUN_DEADLINE.get() or Deadline.never()
