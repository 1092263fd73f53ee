"""The JSON contract (`--format json`) that tools and tests rely on.

Amounts are dollars rounded to cents and `change_pct` percent to two decimals (the models'
serializers do the rounding); null where unknown. The contract is the digest's own fields
below, in the model's order, written by pydantic's serializer in one pass (a quarter of the
time json.dumps took over a dict built first, and no second copy of the book in memory).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pydantic import TypeAdapter

from ..domain.models import Digest, Pace

CONTRACT: set[str] = {
    "as_of",
    "data_through",
    "days_elapsed",
    "current_month",
    "prior_month",
    "method",
    "customers",
    "watch_list",
    "errors",
    "notices",
    "coverage",
}


EMPTY_CUSTOMERS = '"customers": []'
# Customers are written this many at a time (a few megabytes of text).
BATCH = 500
_NESTED = TypeAdapter(dict[str, list[Pace]])
_OPEN, _CLOSE = '{\n  "customers": [\n', "\n  ]\n}"


def render_json(digest: Digest) -> str:
    return "".join(json_chunks(digest))


def json_chunks(digest: Digest) -> Iterator[str]:
    """The contract in pieces, `BATCH` customers at a time, so a book of 50,000 customers
    is never one string in memory; joined, the bytes pydantic writes for the whole digest."""
    head, tail = (
        digest.model_copy(update={"customers": ()})
        .model_dump_json(include=CONTRACT, indent=2)
        .split(EMPTY_CUSTOMERS)
    )
    if not digest.customers:
        yield head + EMPTY_CUSTOMERS + tail + "\n"
        return
    yield head + '"customers": [\n'
    customers = digest.customers
    for start in range(0, len(customers), BATCH):
        # Dumped inside a wrapper as deep as the digest's list, so each line comes out with
        # the digest's indentation; the wrapper's own lines are cut off.
        batch = {"customers": list(customers[start : start + BATCH])}
        text = _NESTED.dump_json(batch, indent=2).decode()[len(_OPEN) : -len(_CLOSE)]
        yield text if start == 0 else ",\n" + text
    yield "\n  ]" + tail + "\n"


def digest_json(digest: Digest) -> dict[str, Any]:
    """The contract as Python values, for callers that inspect it."""
    result: dict[str, Any] = json.loads(render_json(digest))
    return result
