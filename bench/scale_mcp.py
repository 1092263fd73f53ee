"""Warm MCP answers at scale (issue 19): an in-process MCP client over `build_server` on the
scale data, `get_customer_pace` after a first call filled the cache.

`python bench/scale_mcp.py FILE STATE_DB` prints one JSON line: the first (cold) call, then
median and p95 of 100 whole-book pages (limit 50) and the median of 100 one-customer calls.
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_data import AS_OF

CALLS = 100
FULL_GCS: list[float] = []
_gc_started = [0.0]


def full_collections(phase: str, info: dict[str, int]) -> None:
    """Time each full (generation 2) collection during the warm calls."""
    if info["generation"] != 2:
        return
    if phase == "start":
        _gc_started[0] = time.perf_counter()
    else:
        FULL_GCS.append(time.perf_counter() - _gc_started[0])


def ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 1),
    }


async def measure(path: Path, state: Path) -> dict[str, Any]:
    from spend_monitor.config import parse_config
    from spend_monitor.launch import embedded
    from spend_monitor.mcp.server import build_server

    config = parse_config({"local": {"path": str(path)}, "state_path": str(state)}, "bench")
    services = embedded(config, AS_OF)
    async with services, Client(build_server(services)) as client:

        async def call(arguments: dict[str, Any]) -> float:
            began = time.perf_counter()
            result = await client.call_tool("get_customer_pace", arguments)
            assert not result.is_error, result
            return time.perf_counter() - began

        first = await call({"limit": 50})
        gc.callbacks.append(full_collections)
        page = [await call({"limit": 50}) for _ in range(CALLS)]
        one = [await call({"customer": "customer-000500"}) for _ in range(CALLS)]
    gc.callbacks.remove(full_collections)
    return {
        "first_s": round(first, 2),
        "full_gcs": len(FULL_GCS),
        "full_gc_ms": round(sum(FULL_GCS) * 1000),
        "page": ms(page),
        "one": ms(one),
    }


if __name__ == "__main__":
    print(json.dumps(anyio.run(measure, Path(sys.argv[1]), Path(sys.argv[2]))))
