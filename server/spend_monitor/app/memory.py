"""The monitor's memory: the state store, and what happens when it cannot be used.

Losing a digest is worse than losing history, so a store that cannot be opened or fails
mid-run never stops a run: each use goes through `attempt`, which on a `StoreError` records
the problem once (it is shown in the digest and the exit status) and returns a fallback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ..errors import StoreError
from ..store import DEFAULT_KEEP_DAYS, Store

log = logging.getLogger(__name__)
T = TypeVar("T")


class Memory:
    def __init__(self, path: Path, keep_days: int = DEFAULT_KEEP_DAYS) -> None:
        self.path = path
        self.keep_days = keep_days
        self._store: Store | None = None
        self.problem: str | None = None

    @property
    def store(self) -> Store | None:
        """The store, opened on first use; None once it has failed."""
        if self._store is None and self.problem is None:
            try:
                self._store = Store(self.path, self.keep_days)
            except StoreError as exc:
                self._remember(exc)
        return self._store

    def _remember(self, problem: StoreError) -> None:
        if self.problem is None:
            self.problem = f"{problem} — history and once-only posting are off"
            log.warning("%s", self.problem)

    def attempt(self, action: Callable[[Store], T], fallback: T) -> T:
        """`action` on the store, or `fallback` when the store is unusable."""
        store = self.store
        if store is None:
            return fallback
        try:
            return action(store)
        except StoreError as exc:
            self._remember(exc)
            return fallback

    def require(self) -> Store:
        """The store, for questions that only it can answer (history, repost, ack)."""
        store = self.store
        if store is None:
            raise StoreError(self.problem or "no state database")
        return store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
