"""Warm MCP answers at scale (issue 19): an in-process MCP client over `build_server` on the
scale data, `get_customer_pace` after a first call filled the cache.

`python bench/scale_mcp.py FILE STATE_DB` prints one JSON line: the first (cold) call, then
median and p95 of 100 whole-book pages (limit 50) and the median of 100 one-customer calls.
"""

from __future__ import annotations

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
        page = [await call({"limit": 50}) for _ in range(CALLS)]
        one = [await call({"customer": "customer-000500"}) for _ in range(CALLS)]
    return {
        "first_s": round(first, 2),
        "page": ms(page),
        "one": ms(one),
    }


if __name__ == "__main__":
    print(json.dumps(anyio.run(measure, Path(sys.argv[1]), Path(sys.argv[2]))))
