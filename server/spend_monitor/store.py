"""The monitor's memory: runs, each customer's numbers per run, rendered digests, posts and
acknowledgements, in SQLite (WAL mode) so the CLI and the MCP server can share it.

Posting exactly once rests on `claim_post`: inside one IMMEDIATE transaction it checks for a
post of the same content for the same day and channel and, if there is none, records the
attempt — so two processes racing to post the same digest cannot both win.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from .domain.models import Digest, Flag, PastDigest, Snooze, SnoozeKind, SourceName
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
)
SCHEMA_VERSION = len(MIGRATIONS)
# A post still marked "sending" after this long died with its process: it may be retried.
STALE_SENDING = timedelta(minutes=10)
# How long to wait for another process's write before giving up with a clear error.
BUSY_TIMEOUT = 10.0
PostStatus = Literal["sending", "sent", "failed"]


class PastFlag(BaseModel):
    """A customer's numbers and flag in an earlier run."""

    run_id: int
    as_of: date
    flag: Flag
    status: str
    current: float | None
    baseline: float | None
    change_pct: float | None
    posted: bool


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


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
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
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"schema version {version} is newer than this program")
        for number in range(version, SCHEMA_VERSION):
            with self._transaction():
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number + 1}")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreError(
                f"state database {self.path}: {exc}", "another process may hold it; retry"
            ) from None

    def close(self) -> None:
        self._db.close()

    # -- runs ---------------------------------------------------------------------------------

    def record_run(self, digest: Digest, source: str, content_hash: str, text: str) -> int:
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
            db.execute(
                "INSERT INTO digests VALUES (?, ?, ?)", (run_id, digest.model_dump_json(), text)
            )
        return run_id

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
            ]
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
                      EXISTS(SELECT 1 FROM posts WHERE posts.run_id = r.run_id
                             AND posts.status = 'sent') AS posted
               FROM results r JOIN runs ON runs.id = r.run_id
               WHERE r.customer = ? ORDER BY r.run_id DESC LIMIT ?""",
            (customer, limit),
        )
        return [PastFlag(**dict(row)) for row in rows.fetchall()]

    def posted_before(self, as_of: date, limit: int = 12) -> list[PastDigest]:
        """Earlier days' posted digests (the last run posted each day), newest first."""
        days = self._db.execute(
            """SELECT runs.as_of, max(runs.id) AS run_id FROM runs
               JOIN posts ON posts.run_id = runs.id AND posts.status = 'sent'
               WHERE runs.as_of < ? GROUP BY runs.as_of ORDER BY runs.as_of DESC LIMIT ?""",
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
        The post id is None when the same content was already sent (or is being sent),
        unless `force`."""
        stale = (datetime.now(UTC) - STALE_SENDING).isoformat(timespec="seconds")
        with self._transaction() as db:
            earlier = db.execute(
                "SELECT content_hash, status, created_at FROM posts WHERE as_of = ? AND "
                "channel = ? AND status IN ('sent', 'sending')",
                (as_of.isoformat(), channel),
            ).fetchall()
            for row in earlier:
                live = row["status"] == "sent" or row["created_at"] > stale
                if row["content_hash"] == content_hash and live and not force:
                    return None, False
            changed = any(
                r["status"] == "sent" and r["content_hash"] != content_hash for r in earlier
            )
            post_id = db.execute(
                "INSERT INTO posts (run_id, as_of, channel, content_hash, status, created_at)"
                " VALUES (?, ?, ?, ?, 'sending', ?)",
                (run_id, as_of.isoformat(), channel, content_hash, _now()),
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
        rows = self._db.execute(
            """SELECT channel FROM posts p WHERE run_id = ? AND status = 'failed'
               AND NOT EXISTS (SELECT 1 FROM posts q WHERE q.run_id = p.run_id
                               AND q.channel = p.channel AND q.status = 'sent')
               GROUP BY channel""",
            (run_id,),
        )
        return [r[0] for r in rows.fetchall()]

    def run_to_repost(self, as_of: date | None) -> int | None:
        """The latest run (on `as_of`, if given) with a channel whose post failed."""
        query = """SELECT DISTINCT p.run_id FROM posts p JOIN runs ON runs.id = p.run_id
                   WHERE p.status = 'failed' AND NOT EXISTS (
                       SELECT 1 FROM posts q WHERE q.run_id = p.run_id
                       AND q.channel = p.channel AND q.status = 'sent')"""
        params: tuple[str, ...] = ()
        if as_of is not None:
            query += " AND runs.as_of = ?"
            params = (as_of.isoformat(),)
        row = self._db.execute(query + " ORDER BY p.run_id DESC LIMIT 1", params).fetchone()
        return row[0] if row else None

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
