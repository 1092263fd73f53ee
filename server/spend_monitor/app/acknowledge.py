"""Acknowledging an alert: the CSM knows, so it leaves the digest for a while."""

from __future__ import annotations

from .answers import Acknowledged
from .requests import AckRequest
from .services import Services


async def acknowledge(services: Services, request: AckRequest) -> Acknowledged:
    """Snooze a customer's alerts (or one kind of them) for `days`; an alert that gets
    `reopen_pct` points worse comes back marked re-opened."""
    as_of = services.day(request.as_of)
    run = await services.book.run(as_of, request.customer)
    pace = run.digest.customers[0]
    ack = services.memory.require().add_ack(
        pace.name, request.kind, as_of, request.days, pace.change_pct, request.note
    )
    return Acknowledged(
        customer=pace.display_name,
        kind=request.kind,
        until=ack.until,
        change_pct=pace.change_pct,
        note=request.note,
    )
