"""The JSON contract (`--format json`) that tools and tests rely on.

Amounts are dollars rounded to cents and `change_pct` percent to two decimals (the models'
serializers do the rounding); null where unknown.
"""

from __future__ import annotations

import json
from typing import Any

from ..domain.models import Digest


def digest_json(digest: Digest) -> dict[str, Any]:
    return {
        "as_of": digest.as_of.isoformat(),
        "data_through": digest.data_through.isoformat(),
        "days_elapsed": digest.days_elapsed,
        "current_month": digest.current_month,
        "prior_month": digest.prior_month,
        "method": digest.method,
        "customers": [p.model_dump(mode="json") for p in digest.customers],
        "watch_list": [item.model_dump(mode="json") for item in digest.watch_list],
        "errors": list(digest.errors),
        "notices": list(digest.notices),
        "coverage": digest.coverage.model_dump(mode="json") if digest.coverage else None,
    }


def render_json(digest: Digest) -> str:
    return json.dumps(digest_json(digest), indent=2, ensure_ascii=False) + "\n"
