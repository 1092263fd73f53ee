"""Benchmark: MCP server cold start over stdio and warm `get_customer_pace` latency (demo data).

Prints one JSON line; bench/run.py turns it into a section of docs/performance.md.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

BIN = Path(sys.executable).parent
RUNS, WARM_CALLS = 5, 50


def import_seconds() -> float:
    """What Python alone takes to import the SDK's server module, in a fresh process."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import mcp.server.mcpserver"], check=True)
    return time.perf_counter() - started


async def cold_and_warm() -> tuple[float, list[float]]:
    params = StdioServerParameters(command=str(BIN / "spend-monitor-mcp"), args=["--demo"])
    started = time.perf_counter()
    async with Client(params) as client:
        await client.list_tools()
        cold = time.perf_counter() - started
        await client.call_tool("get_customer_pace", {})  # fills the cache
        warm = []
        for _ in range(WARM_CALLS):
            t = time.perf_counter()
            result = await client.call_tool("get_customer_pace", {"limit": 50})
            warm.append(time.perf_counter() - t)
            assert not result.is_error
    return cold, warm


def main() -> None:
    imports = [import_seconds() for _ in range(RUNS)]
    colds, warms = [], []
    for _ in range(RUNS):
        cold, warm = anyio.run(cold_and_warm)
        colds.append(cold)
        warms += warm
    print(
        json.dumps(
            {
                "import_median_s": round(statistics.median(imports), 3),
                "cold_median_s": round(statistics.median(colds), 3),
                "cold_runs_s": [round(c, 3) for c in colds],
                "warm_median_ms": round(statistics.median(warms) * 1000, 1),
                "warm_p95_ms": round(sorted(warms)[int(len(warms) * 0.95)] * 1000, 1),
                "warm_calls": len(warms),
            }
        )
    )


if __name__ == "__main__":
    main()
