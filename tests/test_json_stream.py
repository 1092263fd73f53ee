"""`--format json` is written customer by customer (issue 19: a book of 50,000 customers is
never one string in memory); the pieces joined are exactly what pydantic writes at once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from spend_monitor.demo import demo_config, write_demo
from spend_monitor.domain.models import Driver, Pace
from spend_monitor.launch import embedded
from spend_monitor.render import json as json_render
from spend_monitor.render.json import CONTRACT, json_chunks

pytestmark = pytest.mark.anyio
AS_OF = date(2026, 11, 24)


@pytest.mark.parametrize("batch", [1, 7, 26, 500])
async def test_the_streamed_json_is_byte_for_byte_the_one_shot_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    """Written `batch` customers at a time: whatever the batches' edges, the same bytes."""
    monkeypatch.setattr(json_render, "BATCH", batch)
    files = write_demo(tmp_path, AS_OF)
    async with embedded(demo_config(files), AS_OF) as services:
        digest = (await services.book.run(AS_OF)).digest
    for case in (digest, digest.model_copy(update={"customers": digest.customers[:1]})):
        chunks = list(json_chunks(case))
        assert len(chunks) == -(-len(case.customers) // batch) + 2
        assert "".join(chunks) == case.model_dump_json(include=CONTRACT, indent=2) + "\n"
    empty = digest.model_copy(update={"customers": ()})
    assert "".join(json_chunks(empty)) == empty.model_dump_json(include=CONTRACT, indent=2) + "\n"


def test_a_move_of_a_billionth_of_a_cent_reads_zero_not_minus_zero() -> None:
    pace = Pace(
        name="Acme",
        display_name="Acme",
        flag="normal",
        status="tracking normally",
        current=123.75,
        prior_total=385.0,
        baseline=123.75 + 1e-12,
        change_pct=-1e-12,
        method="weekday",
        source="local",
        days_elapsed=9,
        drivers=(
            Driver(
                service="SMS",
                current=29.25,
                baseline=29.25 + 1e-12,
                prior_total=91.0,
                delta=-1e-12,
                kind="steady",
            ),
        ),
    )
    text = pace.model_dump_json()
    assert "-0.0" not in text
    assert '"change_pct":0.0' in text
    assert '"delta":0.0' in text
