"""`make bench`: run every benchmark in a fresh process and write docs/performance.md."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
sys.path.insert(0, str(ROOT / "bench"))

import local_source  # noqa: E402


def measure(script: str, *args: str) -> dict[str, Any]:
    """Each measurement runs alone in a new interpreter so peak memory is its own."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def local_section() -> str:
    path = DATA / "revenue-5000x20x90.parquet"
    rows = local_source.make_parquet(path)
    runs = [measure("local_source.py", str(path)) for _ in range(3)]
    best = min(runs, key=lambda r: r["seconds"])
    verdict = "met" if best["seconds"] < 5 and best["peak_mb"] < 1024 else "MISSED"
    return (
        "## Local Parquet source: pace and drivers for 5,000 customers\n\n"
        f"{rows:,} raw rows (5,000 customers x 20 services x 90 days) in one Parquet file; one "
        "full digest (read, aggregate in DuckDB, pace, drivers, watch list) per fresh process, "
        "3 runs.\n\n"
        "| run | wall time (s) | peak RSS (MB) | customers | driver lines |\n"
        "|---|---|---|---|---|\n"
        + "".join(
            f"| {i + 1} | {r['seconds']} | {r['peak_mb']} | {r['customers']:,} | "
            f"{r['drivers']:,} |\n"
            for i, r in enumerate(runs)
        )
        + f"\nTarget: under 5 s and under 1 GB peak — **{verdict}** (best {best['seconds']} s, "
        f"{best['peak_mb']} MB).\n"
    )


def mcp_section() -> str:
    r = measure("mcp_server.py")
    budget = float(r["import_median_s"]) + 0.4
    cold_ok = float(r["cold_median_s"]) <= budget
    warm_ok = float(r["warm_median_ms"]) < 50
    return (
        "## MCP server: cold start and warm calls\n\n"
        "Cold start: launching `spend-monitor-mcp --demo` over stdio until the first "
        "`tools/list` answer, against a fresh `python -c 'import mcp.server.mcpserver'` in the "
        "same run (5 runs each, medians). Warm: `get_customer_pace` (limit 50) on the demo "
        f"data after the first call filled the cache ({r['warm_calls']} calls).\n\n"
        "| measure | value | target |\n|---|---|---|\n"
        f"| import of the SDK's server module alone | {r['import_median_s']} s | — |\n"
        f"| cold start to first tools/list | {r['cold_median_s']} s (runs: "
        f"{', '.join(str(c) for c in r['cold_runs_s'])}) | ≤ {budget:.2f} s "
        f"— **{'met' if cold_ok else 'MISSED'}** |\n"
        f"| warm get_customer_pace, median | {r['warm_median_ms']} ms | < 50 ms — "
        f"**{'met' if warm_ok else 'MISSED'}** |\n"
        f"| warm get_customer_pace, p95 | {r['warm_p95_ms']} ms | — |\n"
    )


def main() -> None:
    sections = [local_section(), mcp_section()]
    header = (
        "# Performance\n\n"
        "Written by `make bench` (bench/run.py); numbers are from the last run on the machine "
        "below, not a timed test.\n\n"
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n"
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}\n\n"
    )
    out = ROOT / "docs" / "performance.md"
    out.write_text(header + "\n".join(sections), encoding="utf-8")
    print(out.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
