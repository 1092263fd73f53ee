"""The JSON contract (`--format json`) that tools and tests rely on."""

from __future__ import annotations

import json
from typing import Any

from ..domain.models import Digest, Driver, Pace


def _money(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _driver(driver: Driver) -> dict[str, Any]:
    return {
        "service": driver.service,
        "current": _money(driver.current),
        "baseline": _money(driver.baseline),
        "prior_total": _money(driver.prior_total),
        "delta": _money(driver.delta),
        "kind": driver.kind,
    }


def _customer(pace: Pace) -> dict[str, Any]:
    return {
        "name": pace.name,
        "display_name": pace.display_name,
        "flag": pace.flag,
        "status": pace.status,
        "current": _money(pace.current),
        "prior_total": _money(pace.prior_total),
        "baseline": _money(pace.baseline),
        "change_pct": _money(pace.change_pct),
        "big_mover": pace.big_mover,
        "method": pace.method,
        "source": pace.source,
        "error": pace.error,
        "note": pace.note,
        "drivers": [_driver(d) for d in pace.drivers],
    }


def digest_json(digest: Digest) -> dict[str, Any]:
    return {
        "as_of": digest.as_of.isoformat(),
        "data_through": digest.data_through.isoformat(),
        "days_elapsed": digest.days_elapsed,
        "current_month": digest.current_month,
        "prior_month": digest.prior_month,
        "method": digest.method,
        "customers": [_customer(p) for p in digest.customers],
        "watch_list": [
            {
                "customer": item.customer,
                "display_name": item.display_name,
                "kind": item.kind,
                "detail": item.detail,
                "evidence": item.evidence,
            }
            for item in digest.watch_list
        ],
        "errors": list(digest.errors),
    }


def render_json(digest: Digest) -> str:
    return json.dumps(digest_json(digest), indent=2, ensure_ascii=False) + "\n"
