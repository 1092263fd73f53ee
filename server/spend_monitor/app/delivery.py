"""Deliver a recorded digest to one channel through the posting ledger, with recovery.

`deliver` sends exactly the parts the ledger does not hold as `sent`: `failed` ones again,
`unknown` ones after looking for them (Slack history by message metadata) — found means sent;
where nobody can look (Telegram, a token without the history scope, a chart) the part is re-sent
once, marked. Each outcome is written the moment the platform answers. The publishing use case
calls it once per channel, side by side; it never raises for a channel's or the store's failure.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

import anyio
from pydantic import BaseModel, Field

from ..channels.base import (
    ONCE_ONLY_OFF,
    RESENT_MARK,
    Channel,
    Chart,
    Found,
    Part,
    PartSent,
    PostOutcome,
)
from ..deadline import Deadline
from ..domain.models import ChannelName, Digest
from ..domain.ownership import Rollup
from ..errors import EXIT_NOTHING, EXIT_OK, EXIT_PARTIAL, ChannelError, StoreError
from ..store import Claim, PartRecord, PartStatus, Store

log = logging.getLogger(__name__)
DeliveryStatus = Literal["posted", "already_posted", "re-sent", "failed", "unknown"]
HOLDS_DIGEST: frozenset[DeliveryStatus] = frozenset({"posted", "already_posted", "re-sent"})
ALREADY = "already posted today (same content)"
BUSY = "already posted today (another run is posting it right now)"
STOPPED = "the run was stopped before it was sent"


class PartDelivery(BaseModel):
    part: str = Field(description="`message-N` (a split message) or `chart-<file>`.")
    status: PartStatus = Field(description="claimed, sent, failed or unknown (in the ledger).")
    message_id: str | None = Field(None, description="The platform's id for it, once sent.")
    reason: str | None = Field(None, description="Why it failed or is unknown.")
    sent_now: bool = Field(False, description="posted by this delivery")
    resent: bool = Field(False, description="re-sent marked: the earlier post was unconfirmed")
    confirmed: bool = Field(False, description="an unknown part found in the channel's history")


class ChannelDelivery(BaseModel):
    """What happened on one channel: the typed result the front ends report and exit on."""

    channel: ChannelName = Field(description="slack or telegram.")
    status: DeliveryStatus = Field(
        description="posted, already_posted, re-sent (delivered, a copy marked re-sent), "
        "failed or unknown (may have arrived)."
    )
    reason: str | None = Field(None, description="Why it failed or is unknown.")
    destination: str | None = Field(
        None,
        description="An owner's or the team's destination (`slack:U0123`); null: the "
        "default one (slack.dm_channel, telegram.chat_id).",
    )
    owner: str | None = Field(
        None, description="The owner key whose digest this is; `team` for the roll-up."
    )
    owner_name: str | None = Field(None, description="The owner's name.")
    ledger_run: int | None = Field(None, description="the run whose ledger holds these parts")
    parts: list[PartDelivery] = Field(
        default_factory=list, description="Each part's state in the posting ledger."
    )
    store_problem: str | None = Field(
        None, description="Set when the state database was unusable: once-only posting off."
    )

    @property
    def label(self) -> str:
        """How a person reads where this went: `slack`, or `owner alice (Alice Chen) on
        slack:U0123`."""
        if self.destination is None:
            return self.channel
        if self.owner_name is None:
            return f"team roll-up on {self.destination}"
        return f"owner {self.owner} ({self.owner_name}) on {self.destination}"

    @property
    def holds_digest(self) -> bool:
        return self.status in HOLDS_DIGEST

    def outcome(self) -> PostOutcome:
        """The older per-channel report, for front ends not yet showing parts."""
        now = [p for p in self.parts if p.sent_now]
        return PostOutcome(
            channel=self.channel,
            ok=self.holds_digest,
            message_ids=[p.message_id or "" for p in now if p.part.startswith("message-")],
            charts_posted=sum(p.part.startswith("chart-") for p in now),
            error=None if self.holds_digest else self.status,
            note=self.reason,
            skipped=self.status == "already_posted",
        )


def exit_code(deliveries: Sequence[ChannelDelivery], store_ok: bool = True) -> int:
    """0 when every channel holds the digest (and once-only posting was on), 4 when no part
    reached any channel, else 3."""
    if deliveries and all(d.holds_digest for d in deliveries):
        return EXIT_OK if store_ok else EXIT_PARTIAL
    if deliveries and not any(p.status == "sent" for d in deliveries for p in d.parts):
        return EXIT_NOTHING
    return EXIT_PARTIAL


class _Ledger:
    """The store as delivery uses it: a failure to write is remembered, never raised."""

    def __init__(self, store: Store | None, problem: str | None) -> None:
        self.store = store
        self.problem = problem

    def claim(self, run_id: int | None, channel: str, keys: list[str], force: bool) -> Claim:
        if self.store is not None and run_id is not None:
            try:
                return self.store.claim_parts(run_id, channel, keys, force)
            except StoreError as exc:
                self._lost(exc)
        return Claim(ledger_run=run_id or 0, before={}, mine=keys, busy=[], changed=False)

    def write(self, record: PartRecord) -> None:
        if self.store is None or self.problem is not None:
            return
        try:
            self.store.record_part(record)
        except StoreError as exc:
            self._lost(exc)

    def _lost(self, exc: StoreError) -> None:
        self.problem = f"{exc} — once-only posting is off"
        log.warning("%s", self.problem)


async def deliver(
    store: Store | None,
    channel: Channel,
    run_id: int | None,
    digest: Digest | Rollup,
    charts: Sequence[Chart],
    deadline: Deadline,
    force: bool = False,
    store_problem: str | None = None,
) -> ChannelDelivery:
    """Send `run_id`'s digest to `channel`: the parts not yet `sent` in the ledger, in order
    (messages, then charts in the first message's thread). With no usable store (`store` None
    or failing), every part is sent; when the store failed (`store_problem`), the first part
    carries ONCE_ONLY_OFF."""
    ledger = _Ledger(store if run_id is not None else None, store_problem)
    keys = [p.key for p in channel.parts(digest, list(charts))]
    claim = ledger.claim(run_id, channel.key, keys, force)
    parts = {p.key: p for p in channel.parts(_marked_updated(digest, claim), list(charts))}
    once_only = ledger.store is not None and ledger.problem is None
    results = {k: _known(r) for k, r in claim.before.items() if r.status == "sent"}
    pending_mark = ONCE_ONLY_OFF if ledger.problem is not None else None
    thread = results["message-1"].message_id if "message-1" in results else None
    resent_marked = False  # the first re-sent part carries the mark; what follows needs none
    in_flight: str | None = None  # written `unknown` by _send if stopped mid-way
    finished = False
    try:
        for key in claim.mine:
            mark = pending_mark
            resend = False
            if claim.state(key) == "unknown" and once_only:
                found = await _look(channel, claim.ledger_run, key, deadline)
                if found.lookup == "found":
                    record = _record(claim, channel.key, key, "sent", found.message_id, None)
                    ledger.write(record)
                    results[key] = _known(record).model_copy(update={"confirmed": True})
                    thread = found.message_id if key == "message-1" else thread
                    continue
                resend = found.lookup == "cannot_confirm"
            elif key in claim.before and claim.before[key].resent:
                resend = True  # a marked re-send that failed: the original may still be there
            if resend:
                mark = mark or (None if resent_marked else RESENT_MARK)
            in_flight = key
            sent = await _send(ledger, claim, channel, parts[key], thread, mark, deadline, resend)
            results[key], in_flight = sent, None
            if mark is not None and sent.status == "sent":
                pending_mark = None
                resent_marked = resent_marked or mark == RESENT_MARK
            if key == "message-1" and sent.status == "sent":
                thread = sent.message_id
        finished = True
    finally:
        if not finished:
            # Stopped (the run's deadline, a shutdown): parts never sent are `failed`, so no
            # claim of a live process is left to look like a send in progress.
            with anyio.CancelScope(shield=True):
                for key in claim.mine:
                    if key not in results and key != in_flight:
                        ledger.write(_record(claim, channel.key, key, "failed", None, STOPPED))
    for key in claim.busy:
        results.setdefault(key, PartDelivery(part=key, status="claimed", reason=BUSY))
    ordered = [results[k] for k in keys if k in results]
    return _summary(channel.name, claim, ordered, ledger.problem or store_problem)


async def _look(channel: Channel, run_id: int, key: str, deadline: Deadline) -> Found:
    """A history lookup that cannot fail: anything going wrong means we cannot confirm."""
    try:
        return await channel.find_part(run_id, key, deadline)
    except ChannelError as exc:  # a lookup is advisory: never the reason a part is lost
        return Found(lookup="cannot_confirm", reason=f"lookup failed ({exc})")


def _marked_updated(digest: Digest | Rollup, claim: Claim) -> Digest | Rollup:
    return digest.model_copy(update={"updated": digest.updated or claim.changed})


async def _send(
    ledger: _Ledger,
    claim: Claim,
    channel: Channel,
    part: Part,
    thread: str | None,
    mark: str | None,
    deadline: Deadline,
    resend: bool,
) -> PartDelivery:
    """One part out, its outcome written at once. Cancelled mid-send (the run's deadline),
    the part is written `unknown`: it may have arrived."""
    sent: PartSent | None = None
    try:
        sent = await channel.send_part(claim.ledger_run, part, thread, mark, deadline)
    finally:
        if sent is None:  # stopped mid-send: it may have arrived
            with anyio.CancelScope(shield=True):
                reason = "the run was stopped before the platform answered"
                ledger.write(_record(claim, channel.key, part.key, "unknown", None, reason))
    record = _record(claim, channel.key, part.key, sent.status, sent.message_id, sent.reason)
    ledger.write(record.model_copy(update={"resent": resend}))
    return _known(record).model_copy(update={"sent_now": sent.status == "sent", "resent": resend})


def _record(
    claim: Claim,
    channel: str,
    key: str,
    status: PartStatus,
    message_id: str | None,
    reason: str | None,
) -> PartRecord:
    return PartRecord(
        run_id=claim.ledger_run,
        channel=channel,
        part=key,
        status=status,
        message_id=message_id,
        reason=reason,
    )


def _known(record: PartRecord) -> PartDelivery:
    return PartDelivery(
        part=record.part,
        status=record.status,
        message_id=record.message_id,
        reason=record.reason,
        resent=record.resent,
    )


def _summary(
    channel: ChannelName, claim: Claim, parts: list[PartDelivery], problem: str | None
) -> ChannelDelivery:
    def result(status: DeliveryStatus, reason: str | None) -> ChannelDelivery:
        return ChannelDelivery(
            channel=channel,
            status=status,
            reason=reason,
            ledger_run=claim.ledger_run or None,
            parts=parts,
            store_problem=problem,
        )

    failed = next((p for p in parts if p.status == "failed"), None)
    if failed is not None:
        return result("failed", f"{failed.part}: {failed.reason}")
    unknown = next((p for p in parts if p.status == "unknown"), None)
    if unknown is not None:
        return result("unknown", f"{unknown.part}: {unknown.reason}")
    if any(p.status == "claimed" for p in parts):
        return result("already_posted", BUSY)
    if any(p.sent_now and p.resent for p in parts):
        return result("re-sent", RESENT_MARK.strip("()"))
    if any(p.sent_now for p in parts):
        return result("posted", None)
    return result("already_posted", ALREADY)
