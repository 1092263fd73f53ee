"""Where a digest's time and memory go (issue 19), in process: the same steps `spend-monitor
digest --dry-run --format json` takes — fetch, compute, the store record (a dry run renders
no text to post), the JSON written to a file piece by piece as the CLI
writes it — each timed with perf_counter, with the process's peak RSS after each.

`python bench/scale_phases.py FILE STATE_DB [--profile OUT]` prints one JSON line; with
--profile it also writes the 25 costliest functions (cumulative) of a cProfile run to OUT.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import resource
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_data import AS_OF

STARTED = time.perf_counter()


def peak_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


async def phases(path: Path, state: Path) -> dict[str, Any]:
    from spend_monitor.config import parse_config
    from spend_monitor.launch import embedded
    from spend_monitor.render import render_chunks

    out: dict[str, Any] = {"import_s": round(time.perf_counter() - STARTED, 3)}
    config = parse_config({"local": {"path": str(path)}, "state_path": str(state)}, "bench")

    async def step(name: str, action: Callable[[], Awaitable[Any]]) -> Any:
        began = time.perf_counter()
        result = await action()
        out[f"{name}_s"] = round(time.perf_counter() - began, 3)
        out[f"{name}_peak_mb"] = peak_mb()
        print(f"  {name}: {out[f'{name}_s']} s, peak {out[f'{name}_peak_mb']} MB", file=sys.stderr)
        return result

    async def now(value: Callable[[], Any]) -> Any:
        return value()

    async with embedded(config, AS_OF) as services:
        await step("fetch", lambda: services.book.snapshot(AS_OF))
        run = await step("compute", lambda: services.book.run(AS_OF))
        await step(
            "record",
            lambda: now(
                lambda: services.memory.attempt(
                    lambda store: store.record_run(run.digest, "local"), None
                )
            ),
        )

        def write_json() -> None:
            with (state.parent / "digest.json").open("w", encoding="utf-8") as sink:
                for chunk in render_chunks("json", run.digest):
                    sink.write(chunk)

        await step("render_json", lambda: now(write_json))
    out["customers"] = len(run.digest.customers)
    out["state_mb"] = round(state.stat().st_size / 1e6, 1) if state.exists() else 0
    out["total_s"] = round(time.perf_counter() - STARTED, 3)
    out["peak_mb"] = peak_mb()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file", type=Path)
    parser.add_argument("state", type=Path)
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    if args.profile is None:
        result = anyio.run(phases, args.file, args.state)
    else:
        profile = cProfile.Profile()
        result = profile.runcall(anyio.run, phases, args.file, args.state)
        report = io.StringIO()
        pstats.Stats(profile, stream=report).sort_stats("cumulative").print_stats(40)
        stats = io.StringIO()
        pstats.Stats(profile, stream=stats).sort_stats("tottime").print_stats(25)
        args.profile.write_text(report.getvalue() + stats.getvalue(), encoding="utf-8")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
