"""The monitor's memory: runs, each customer's numbers per run, rendered digests, posts and
acknowledgements, in SQLite (WAL mode) so the CLI and the MCP server can share it.

Posting exactly once rests on the posting ledger (`post_parts`): one row per run, channel and
part (each split message, each chart), `claimed → sent | failed | unknown`. `claim_parts`
decides inside one IMMEDIATE transaction which parts this process may send — so two
processes racing to post the same digest cannot both win — and a claim whose process has died
is turned into `unknown`, never left looking like a send in progress. `claim_post` (one row per
channel, the older API) keeps working for the front ends not yet moved onto the ledger.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from .domain.models import Digest, Flag, PastDigest, Rounded, Snooze, SnoozeKind, SourceName
from .errors import StoreError

# Each entry moves the schema one version forward; never edit one that has shipped.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        as_of TEXT NOT NULL,
        data_through TEXT NOT NULL,
        source TEXT NOT NULL,
        method TEXT NOT NULL,
        outcome TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX runs_as_of ON runs(as_of);
    CREATE TABLE results (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        customer TEXT NOT NULL,
        display_name TEXT NOT NULL,
        flag TEXT NOT NULL,
        status TEXT NOT NULL,
        current REAL, prior_total REAL, baseline REAL, change_pct REAL,
        method TEXT NOT NULL,
        source TEXT NOT NULL,
        error TEXT,
        PRIMARY KEY (run_id, customer)
    );
    CREATE TABLE digests (
        run_id INTEGER PRIMARY KEY REFERENCES runs(id),
        digest_json TEXT NOT NULL,
        text TEXT NOT NULL
    );
    CREATE TABLE posts (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        as_of TEXT NOT NULL,
        channel TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        status TEXT NOT NULL,
        message_ids TEXT NOT NULL DEFAULT '[]',
        error TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX posts_day ON posts(as_of, channel);
    """,
    """
    CREATE TABLE watch_items (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        customer TEXT NOT NULL,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE TABLE acks (
        id INTEGER PRIMARY KEY,
        customer TEXT NOT NULL,
        kind TEXT,
        since TEXT NOT NULL,
        until TEXT NOT NULL,
        change_pct REAL,
        note TEXT,
        created_at TEXT NOT NULL
    );
    """,
    """
    CREATE TABLE post_parts (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        channel TEXT NOT NULL,
        part TEXT NOT NULL,
        status TEXT NOT NULL,
        message_id TEXT,
        reason TEXT,
        owner TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        resent INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (run_id, channel, part)
    );
    ALTER TABLE posts ADD COLUMN owner TEXT;
    CREATE VIEW sent_runs AS
        SELECT run_id FROM posts WHERE status = 'sent'
        UNION SELECT run_id FROM post_parts WHERE status = 'sent';
    """,
    # A customer's history and a day's watch items are looked up by customer and by run.
    """
    CREATE INDEX results_customer ON results(customer, run_id);
    CREATE INDEX watch_items_run ON watch_items(run_id);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
# A claim by a process on another host (whose life we cannot see) is presumed dead after this.
STALE_SENDING = timedelta(minutes=10)
# How long to wait for another process's write before giving up with a clear error.
BUSY_TIMEOUT = 30.0
PostStatus = Literal["sending", "sent", "failed", "unknown"]
PartStatus = Literal["claimed", "sent", "failed", "unknown"]
HOST = socket.gethostname()
# Runs dated this many days before the newest one are deleted with everything they hold.
DEFAULT_KEEP_DAYS = 400
# Everything a run holds, by table; pruning deletes these rows before the run itself.
RUN_TABLES = ("post_parts", "posts", "watch_items", "results", "digests")


def this_process() -> str:
    return f"{HOST}:{os.getpid()}"


def process_alive(owner: str | None, since: str, now: datetime) -> bool:
    """Whether the process that made a claim may still be sending. On this host we ask the
    kernel; for another host (or an old row without an owner) only age can tell."""
    host, _, pid = (owner or "").rpartition(":")
    if host == HOST and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return since > (now - STALE_SENDING).isoformat(timespec="seconds")


class PartRecord(BaseModel):
    """One part's line in the ledger."""

    run_id: int
    channel: str
    part: str
    status: PartStatus
    message_id: str | None = None
    reason: str | None = None
    attempts: int = 0
    resent: bool = False


class Claim(BaseModel):
    """What `claim_parts` decided: the run whose ledger holds this content for the channel,
    each part's state before the claim, and which parts are now this process's to send."""

    ledger_run: int
    before: dict[str, PartRecord]
    mine: list[str]
    busy: list[str]
    changed: bool

    def state(self, part: str) -> PartStatus | None:
        found = self.before.get(part)
        return found.status if found else None


class PastFlag(BaseModel):
    """A customer's numbers and flag in an earlier run."""

    run_id: int = Field(description="The run (see `spend-monitor history`).")
    as_of: date = Field(description="That run's digest date (YYYY-MM-DD).")
    flag: Flag = Field(description="The customer's flag then.")
    status: str = Field(description="What the digest said then.")
    current: Rounded | None = Field(description="Revenue of that month so far then, in dollars.")
    baseline: Rounded | None = Field(description="The baseline then, in dollars.")
    change_pct: Rounded | None = Field(description="The change then, in percent.")
    posted: bool = Field(description="Whether that run's digest reached a channel.")


class RunInfo(BaseModel):
    """One recorded run and what became of its posts."""

    id: int
    as_of: date
    data_through: date
    source: SourceName
    method: str
    outcome: str
    created_at: str
    posts: list[dict[str, Any]]


class Ack(BaseModel):
    id: int
    customer: str
    kind: SnoozeKind | None
    since: date
    until: date
    change_pct: float | None
    note: str | None

    def snooze(self) -> Snooze:
        return Snooze.model_validate(
            self.model_dump(include={"customer", "kind", "until", "change_pct"})
        )


DIED = "the process posting it stopped before the platform answered"
_NOT_SENT = "status != 'sent'"


def _part(row: sqlite3.Row) -> PartRecord:
    return PartRecord.model_validate({name: row[name] for name in PartRecord.model_fields})


def _status(records: dict[str, PartRecord], part: str) -> PartStatus | None:
    return records[part].status if part in records else None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    def __init__(self, path: Path, keep_days: int = DEFAULT_KEEP_DAYS) -> None:
        self.path = path
        self.keep_days = keep_days
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(
                f"state database {path} is unusable ({exc})",
                "move it aside (a new one is created) or set SPEND_MONITOR_STATE",
            ) from None

    def _migrate(self) -> None:
        """Bring the schema up to date in one write transaction: the version is read inside
        it, so processes starting together on a new database migrate it once, in turn."""
        with self._transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise sqlite3.DatabaseError(f"schema version {version} is newer than this program")
            for number in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {number + 1}")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            committed = False
            try:
                yield self._db
                self._db.execute("COMMIT")
                committed = True
            finally:
                if not committed and self._db.in_transaction:
                    self._db.execute("ROLLBACK")
        except sqlite3.Error as exc:
            raise StoreError(
                f"state database {self.path}: {exc}", "another process may hold it; retry"
            ) from None

    def close(self) -> None:
        self._db.close()

    # -- runs ---------------------------------------------------------------------------------

    def record_run(self, digest: Digest, source: str, posted: tuple[str, str] | None = None) -> int:
        """The run and each customer's result (what history needs); for a run that may be
        posted or re-posted, `posted` (the content hash and the text) and the whole digest,
        which a dry run has not (its content hash is empty). Runs older than `keep_days`
        before this one go in the same transaction."""
        content_hash, text = posted or ("", "")
        with self._transaction() as db:
            run_id = db.execute(
                "INSERT INTO runs (as_of, data_through, source, method, outcome, content_hash,"
                " created_at) VALUES (?, ?, ?, ?, 'built', ?, ?)",
                (
                    digest.as_of.isoformat(),
                    digest.data_through.isoformat(),
                    source,
                    digest.method,
                    content_hash,
                    _now(),
                ),
            ).lastrowid
            assert run_id is not None
            db.executemany(
                "INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        run_id,
                        p.name,
                        p.display_name,
                        p.flag,
                        p.status,
                        p.current,
                        p.prior_total,
                        p.baseline,
                        p.change_pct,
                        p.method,
                        p.source,
                        p.error,
                    )
                    for p in digest.customers
                ],
            )
            db.executemany(
                "INSERT INTO watch_items VALUES (?, ?, ?, ?)",
                [(run_id, w.customer, w.kind, w.detail) for w in digest.watch_list],
            )
            if posted is not None:
                db.execute(
                    "INSERT INTO digests VALUES (?, ?, ?)",
                    (run_id, digest.model_dump_json(), text),
                )
            self._prune(db, digest.as_of - timedelta(days=self.keep_days))
        return run_id

    @staticmethod
    def _prune(db: sqlite3.Connection, before: date) -> None:
        old = "SELECT id FROM runs WHERE as_of < ?"
        for table in RUN_TABLES:
            db.execute(f"DELETE FROM {table} WHERE run_id IN ({old})", (before.isoformat(),))
        db.execute("DELETE FROM runs WHERE as_of < ?", (before.isoformat(),))

    def set_outcome(self, run_id: int, outcome: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE runs SET outcome = ? WHERE id = ?", (outcome, run_id))

    def digest(self, run_id: int) -> Digest:
        row = self._db.execute(
            "SELECT digest_json FROM digests WHERE run_id = ?", (run_id,)
        ).fetchone()
        if row is None:
            raise StoreError(
                f"no recorded digest for run {run_id}", "see `spend-monitor history` for run ids"
            )
        return Digest.model_validate_json(row[0])

    def runs(self, limit: int = 20) -> list[RunInfo]:
        rows = self._db.execute("SELECT * FROM runs ORDER BY id DESC LIMIT ?", (limit,))
        out = []
        for row in rows.fetchall():
            posts = [
                dict(p)
                for p in self._db.execute(
                    "SELECT channel, status, message_ids, error FROM posts WHERE run_id = ?"
                    " ORDER BY id",
                    (row["id"],),
                )
            ] + self._ledger_summary(row["id"])
            out.append(
                RunInfo(
                    id=row["id"],
                    as_of=row["as_of"],
                    data_through=row["data_through"],
                    source=row["source"],
                    method=row["method"],
                    outcome=row["outcome"],
                    created_at=row["created_at"],
                    posts=posts,
                )
            )
        return out

    def customer_results(self, customer: str, limit: int = 60) -> list[PastFlag]:
        rows = self._db.execute(
            """SELECT r.run_id, runs.as_of, r.flag, r.status, r.current, r.baseline,
                      r.change_pct,
                      r.run_id IN (SELECT run_id FROM sent_runs) AS posted
               FROM results r JOIN runs ON runs.id = r.run_id
               WHERE r.customer = ? ORDER BY r.run_id DESC LIMIT ?""",
            (customer, limit),
        )
        return [PastFlag(**dict(row)) for row in rows.fetchall()]

    def posted_before(self, as_of: date, limit: int = 12) -> list[PastDigest]:
        """Earlier days' posted digests (the last run posted each day), newest first."""
        days = self._db.execute(
            """SELECT runs.as_of, max(runs.id) AS run_id FROM runs
               WHERE runs.id IN (SELECT run_id FROM sent_runs)
               AND runs.as_of < ? GROUP BY runs.as_of ORDER BY runs.as_of DESC LIMIT ?""",
            (as_of.isoformat(), limit),
        ).fetchall()
        out = []
        for day in days:
            flags = dict(
                self._db.execute(
                    "SELECT customer, flag FROM results WHERE run_id = ?", (day["run_id"],)
                )
            )
            watch = {
                (r[0], r[1])
                for r in self._db.execute(
                    "SELECT customer, kind FROM watch_items WHERE run_id = ?", (day["run_id"],)
                )
            }
            out.append(PastDigest(as_of=day["as_of"], flags=flags, watch=frozenset(watch)))
        return out

    # -- posts --------------------------------------------------------------------------------

    def claim_post(
        self, run_id: int, as_of: date, channel: str, content_hash: str, force: bool = False
    ) -> tuple[int | None, bool]:
        """(post id to send under, whether this day's channel already had other content).
        The post id is None when the same content was already sent (or is being sent by a
        live process), unless `force`. A `sending` row whose process died becomes `unknown`."""
        now = datetime.now(UTC)
        with self._transaction() as db:
            earlier = db.execute(
                "SELECT id, content_hash, status, created_at, owner FROM posts WHERE as_of = ?"
                " AND channel = ? AND status IN ('sent', 'sending')",
                (as_of.isoformat(), channel),
            ).fetchall()
            for row in earlier:
                if row["status"] == "sending" and not process_alive(
                    row["owner"], row["created_at"], now
                ):
                    db.execute(
                        "UPDATE posts SET status = 'unknown', error = ? WHERE id = ?",
                        (DIED, row["id"]),
                    )
                elif row["content_hash"] == content_hash and not force:
                    return None, False
            changed = self._sent_other_content(as_of, channel, content_hash)
            post_id = db.execute(
                "INSERT INTO posts (run_id, as_of, channel, content_hash, status, created_at,"
                " owner) VALUES (?, ?, ?, ?, 'sending', ?, ?)",
                (run_id, as_of.isoformat(), channel, content_hash, _now(), this_process()),
            ).lastrowid
        return post_id, changed

    def finish_post(
        self, post_id: int, status: PostStatus, message_ids: list[str], error: str | None
    ) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE posts SET status = ?, message_ids = ?, error = ? WHERE id = ?",
                (status, json.dumps(message_ids), error, post_id),
            )

    def failed_channels(self, run_id: int) -> list[str]:
        """Channels of a run with a post or a part that is not `sent`."""
        rows = self._db.execute(
            f"""SELECT channel FROM posts p WHERE run_id = ? AND status IN ('failed', 'unknown')
               AND NOT EXISTS (SELECT 1 FROM posts q WHERE q.run_id = p.run_id
                               AND q.channel = p.channel AND q.status = 'sent')
               UNION SELECT channel FROM post_parts WHERE run_id = ? AND {_NOT_SENT}
               ORDER BY channel""",
            (run_id, run_id),
        )
        return [r[0] for r in rows.fetchall()]

    def run_to_repost(self, as_of: date | None) -> int | None:
        """The latest run (on `as_of`, if given) with a post or a part that is not `sent`."""
        query = f"""SELECT run_id FROM (
                       SELECT p.run_id FROM posts p WHERE p.status IN ('failed', 'unknown')
                       AND NOT EXISTS (SELECT 1 FROM posts q WHERE q.run_id = p.run_id
                                       AND q.channel = p.channel AND q.status = 'sent')
                       UNION SELECT run_id FROM post_parts WHERE {_NOT_SENT}
                   ) JOIN runs ON runs.id = run_id"""
        params: tuple[str, ...] = ()
        if as_of is not None:
            query += " WHERE runs.as_of = ?"
            params = (as_of.isoformat(),)
        row = self._db.execute(query + " ORDER BY run_id DESC LIMIT 1", params).fetchone()
        return row[0] if row else None

    # -- the posting ledger -------------------------------------------------------------------

    def claim_parts(
        self, run_id: int, channel: str, parts: Sequence[str], force: bool = False
    ) -> Claim:
        """Claim the parts of `run_id`'s digest for `channel` that are not `sent` yet.

        Unless `force`, the ledger of the day's first run with the same content is used, so a
        re-run sends only what that run did not deliver. A part claimed by a live process is
        `busy` (left alone); a claim whose process died becomes `unknown` first."""
        now = datetime.now(UTC)
        with self._transaction() as db:
            run = db.execute(
                "SELECT as_of, content_hash FROM runs WHERE id = ?", (run_id,)
            ).fetchone()
            if run is None:
                raise StoreError(f"no recorded run {run_id}", "see `spend-monitor history`")
            ledger_run = run_id
            if not force:
                first = db.execute(
                    "SELECT min(p.run_id) FROM post_parts p JOIN runs r ON r.id = p.run_id"
                    " WHERE r.as_of = ? AND r.content_hash = ? AND p.channel = ?",
                    (run["as_of"], run["content_hash"], channel),
                ).fetchone()[0]
                ledger_run = first or run_id
                legacy = db.execute(
                    "SELECT run_id FROM posts WHERE as_of = ? AND channel = ? AND"
                    " content_hash = ? AND status = 'sent' ORDER BY id LIMIT 1",
                    (run["as_of"], channel, run["content_hash"]),
                ).fetchone()
                if first is None and legacy is not None:
                    sent = {
                        k: PartRecord(run_id=legacy[0], channel=channel, part=k, status="sent")
                        for k in parts
                    }
                    return Claim(ledger_run=legacy[0], before=sent, mine=[], busy=[], changed=False)
            before: dict[str, PartRecord] = {}
            busy: list[str] = []
            for row in db.execute(
                "SELECT * FROM post_parts WHERE run_id = ? AND channel = ?", (ledger_run, channel)
            ).fetchall():
                record = _part(row)
                if record.status == "claimed":
                    if process_alive(row["owner"], row["updated_at"], now):
                        busy.append(record.part)
                    else:
                        record = record.model_copy(update={"status": "unknown", "reason": DIED})
                        self._write_part(db, record)
                before[record.part] = record
            mine = [k for k in parts if k not in busy and _status(before, k) != "sent"]
            for key in mine:
                old = before.get(key)
                db.execute(
                    "INSERT INTO post_parts (run_id, channel, part, status, owner, attempts,"
                    " resent, updated_at) VALUES (?, ?, ?, 'claimed', ?, ?, ?, ?)"
                    " ON CONFLICT (run_id, channel, part) DO UPDATE SET status = 'claimed',"
                    " owner = excluded.owner, attempts = excluded.attempts,"
                    " updated_at = excluded.updated_at",
                    (
                        ledger_run,
                        channel,
                        key,
                        this_process(),
                        (old.attempts if old else 0) + 1,
                        int(old.resent) if old else 0,
                        _now(),
                    ),
                )
            changed = self._sent_other_content(
                date.fromisoformat(run["as_of"]), channel, run["content_hash"]
            )
        return Claim(ledger_run=ledger_run, before=before, mine=mine, busy=busy, changed=changed)

    def record_part(self, record: PartRecord) -> None:
        """Write a part's outcome the moment the platform has answered."""
        with self._transaction() as db:
            self._write_part(db, record)

    def parts(self, run_id: int, channel: str | None = None) -> list[PartRecord]:
        rows = self._db.execute(
            "SELECT * FROM post_parts WHERE run_id = ? AND (? IS NULL OR channel = ?)"
            " ORDER BY channel, rowid",
            (run_id, channel, channel),
        )
        return [_part(row) for row in rows.fetchall()]

    @staticmethod
    def _write_part(db: sqlite3.Connection, record: PartRecord) -> None:
        db.execute(
            "UPDATE post_parts SET status = ?, message_id = ?, reason = ?, resent = ?,"
            " updated_at = ? WHERE run_id = ? AND channel = ? AND part = ?",
            (
                record.status,
                record.message_id,
                record.reason,
                int(record.resent),
                _now(),
                record.run_id,
                record.channel,
                record.part,
            ),
        )

    def _sent_other_content(self, as_of: date, channel: str, content_hash: str) -> bool:
        """Whether this day's channel already holds a digest with other content."""
        row = self._db.execute(
            "SELECT 1 FROM post_parts p JOIN runs r ON r.id = p.run_id WHERE r.as_of = ?"
            " AND p.channel = ? AND r.content_hash != ? AND p.status = 'sent'"
            " UNION SELECT 1 FROM posts WHERE as_of = ? AND channel = ? AND content_hash != ?"
            " AND status = 'sent' LIMIT 1",
            (as_of.isoformat(), channel, content_hash) * 2,
        ).fetchone()
        return row is not None

    def _ledger_summary(self, run_id: int) -> list[dict[str, object]]:
        """Per channel: one status for the channel, and every part as the ledger has it."""
        out: list[dict[str, object]] = []
        records = self.parts(run_id)
        for channel in dict.fromkeys(r.channel for r in records):
            mine = [r for r in records if r.channel == channel]
            states = {r.status for r in mine}
            status = next((s for s in ("claimed", "failed", "unknown") if s in states), "sent")
            out.append(
                {
                    "channel": channel,
                    "status": status,
                    "message_ids": json.dumps([r.message_id for r in mine if r.message_id]),
                    "error": next((r.reason for r in mine if r.reason), None),
                    "parts": [r.model_dump(exclude={"run_id", "channel"}) for r in mine],
                }
            )
        return out

    # -- acknowledgements ---------------------------------------------------------------------

    def add_ack(
        self,
        customer: str,
        kind: SnoozeKind | None,
        since: date,
        days: int,
        change_pct: float | None,
        note: str | None,
    ) -> Ack:
        until = since + timedelta(days=days)
        with self._transaction() as db:
            ack_id = db.execute(
                "INSERT INTO acks (customer, kind, since, until, change_pct, note, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (customer, kind, since.isoformat(), until.isoformat(), change_pct, note, _now()),
            ).lastrowid
        assert ack_id is not None
        return Ack(
            id=ack_id,
            customer=customer,
            kind=kind,
            since=since,
            until=until,
            change_pct=change_pct,
            note=note,
        )

    def active_acks(self, as_of: date) -> list[Ack]:
        rows = self._db.execute(
            "SELECT id, customer, kind, since, until, change_pct, note FROM acks "
            "WHERE since <= ? AND until > ? ORDER BY id",
            (as_of.isoformat(), as_of.isoformat()),
        )
        return [Ack(**dict(row)) for row in rows.fetchall()]
