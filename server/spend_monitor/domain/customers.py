"""Finding a customer by any name people use for it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import cached_property

from .models import Customer


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


class CustomerIndex:
    """Case-insensitive lookup over name, display name and aliases, made on the first
    question (a digest with no tracker to read asks none)."""

    def __init__(self, customers: Iterable[Customer]) -> None:
        self.customers = tuple(customers)

    @cached_property
    def _by_label(self) -> dict[str, Customer]:
        by_label: dict[str, Customer] = {}
        for customer in self.customers:
            for label in (customer.name, customer.display_name, *customer.aliases):
                if label:
                    by_label.setdefault(_fold(label), customer)
        return by_label

    def find(self, text: str) -> Customer | None:
        return self._by_label.get(_fold(text))

    def suggestions(self, text: str, limit: int = 3) -> list[str]:
        """The closest known names, for "did you mean" hints."""
        wanted = _fold(text)
        close = difflib.get_close_matches(wanted, list(self._by_label), n=limit * 3, cutoff=0.5)
        if not close:
            close = [key for key in self._by_label if wanted in key]
        return list(dict.fromkeys(self._by_label[key].label for key in close))[:limit]
