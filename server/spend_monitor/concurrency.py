"""Running adapter calls side by side without losing what went wrong."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from typing import Any

import anyio


def _first(error: BaseException) -> BaseException:
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error


async def run_all(calls: Iterable[Callable[[], Coroutine[Any, Any, None]]]) -> None:
    """Run every call concurrently. If any fails, the others are cancelled and the first
    failure is raised as itself (not inside an exception group), so a front end can explain
    it in one line."""
    try:
        async with anyio.create_task_group() as group:
            for call in calls:
                group.start_soon(call)
    except BaseExceptionGroup as group:
        raise _first(group) from None
