"""The compute core at scale (issue 19): our digest against the DuckDB floor in the same run.

Every case runs in a fresh process with a timeout; wall time is the parent's clock around the
child, peak RSS the child's own (os.wait4). Floor and digest runs alternate, so the machine's
load falls on both alike; the load average is recorded next to each case. The 50,000-customer
cases run once, the others three times (best wall time, highest peak).

`python bench/scale.py [--profile]` prints the section for docs/performance.md; progress goes
to stderr. `--profile` also writes a cProfile of the 10,000-customer digest to bench/data/.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from scale_data import AS_OF, DAYS, SERVICES, data_file  # noqa: E402

PYTHON = sys.executable
CLI = str(Path(PYTHON).parent / "spend-monitor")
DIGEST_TIMEOUT, FLOOR_TIMEOUT, OTHER_TIMEOUT = 900.0, 300.0, 600.0
MB = 1024  # ru_maxrss is in KiB on Linux


def note(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load() -> float:
    return round(os.getloadavg()[0], 1)


@dataclass
class Child:
    seconds: float
    peak_mb: int
    stdout: str
    ok: bool
    problem: str = ""


def child(command: list[str], timeout: float) -> Child:
    """Run `command` alone; its wall time, its own peak RSS and its stdout (never raises)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, text=True)
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            seconds = time.perf_counter() - started
            if pid:
                break
            if seconds > timeout:
                process.kill()
                _, status, usage = os.wait4(process.pid, 0)
                return Child(round(seconds, 2), usage.ru_maxrss // MB, "", False, "timeout")
            time.sleep(0.02)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        code = process.returncode
        problem = "" if code == 0 else f"exit {code}: {err.read().strip()[-300:]}"
        return Child(round(seconds, 2), usage.ru_maxrss // MB, out.read(), code == 0, problem)


@dataclass
class Case:
    customers: int
    fmt: str
    runs: int
    floor: list[Child] = field(default_factory=list)
    ours: list[Child] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)
    state_mb: float = 0.0


def digest_command(config: Path, output: Path, fmt: str = "json") -> list[str]:
    return [
        CLI, "digest", "--config", str(config), "--as-of", str(AS_OF), "--dry-run",
        "--format", fmt, "--output", str(output),
    ]  # fmt: skip


def write_config(folder: Path, path: Path) -> Path:
    """A config naming only the file: no customers, so the digest covers everyone in it."""
    config = folder / "config.json"
    config.write_text(
        json.dumps({"local": {"path": str(path)}, "state_path": str(folder / "state.db")}),
        encoding="utf-8",
    )
    return config


def digest_once(path: Path, fmt: str = "json") -> tuple[Child, str, float]:
    """One CLI digest with a fresh state database: the run, its output's digest and the
    state database's size afterwards."""
    with tempfile.TemporaryDirectory(prefix="scale-") as tmp:
        folder = Path(tmp)
        output = folder / f"digest.{fmt}"
        run = child(digest_command(write_config(folder, path), output, fmt), DIGEST_TIMEOUT)
        body = hashlib.sha256(output.read_bytes()).hexdigest() if output.exists() else ""
        state = folder / "state.db"
        return run, body, round(state.stat().st_size / 1e6, 1) if state.exists() else 0.0


def run_case(case: Case) -> Case:
    path = data_file(case.customers, case.fmt)
    for i in range(case.runs):
        case.loads.append(load())
        note(f"{case.customers:,} {case.fmt}: floor run {i + 1}/{case.runs}")
        case.floor.append(child([PYTHON, str(BENCH / "scale_floor.py"), str(path)], FLOOR_TIMEOUT))
        note(f"{case.customers:,} {case.fmt}: digest run {i + 1}/{case.runs}")
        run, body, case.state_mb = digest_once(path)
        case.ours.append(run)
        case.outputs.append(body)
        note(f"  floor {case.floor[-1].seconds} s, ours {run.seconds} s {run.problem}")
    return case


def best(runs: list[Child]) -> Child | None:
    done = [r for r in runs if r.ok]
    if not done:
        return None
    fastest = min(done, key=lambda r: r.seconds)
    return Child(fastest.seconds, max(r.peak_mb for r in done), "", True)


# Targets from issue 19: (customers, wall limit in seconds or None, ratio limit, peak MB limit).
TARGETS = {10_000: (2.0, None, None), 50_000: (None, 3.0, 600)}


def target_row(case: Case) -> str:
    ours, floor = best(case.ours), best(case.floor)
    wall = f"{ours.seconds} s" if ours else "failed: " + case.ours[-1].problem[:80]
    floor_wall = f"{floor.seconds} s" if floor else "failed"
    ratio = ours.seconds / floor.seconds if ours and floor else None
    limit, ratio_limit, peak_limit = TARGETS.get(case.customers, (None, None, None))
    wanted = []
    met = ours is not None
    if limit is not None:
        wanted.append(f"< {limit:g} s")
        met = met and ours is not None and ours.seconds < limit
    if ratio_limit is not None:
        wanted.append(f"≤ {ratio_limit:g}× floor")
        met = met and ratio is not None and ratio <= ratio_limit
    if peak_limit is not None:
        wanted.append(f"< {peak_limit} MB")
        met = met and ours is not None and ours.peak_mb < peak_limit
    verdict = ("**met**" if met else "**missed**") if wanted else "—"
    return (
        f"| {case.customers:,} {case.fmt} | {wall} | {floor_wall} | "
        f"{f'{ratio:.1f}×' if ratio else '—'} | {ours.peak_mb if ours else '—'} | "
        f"{floor.peak_mb if floor else '—'} | {case.state_mb} | {', '.join(wanted) or '—'} | "
        f"{verdict} | {case.runs} | {', '.join(str(x) for x in case.loads)} |\n"
    )


def determinism(customers: int) -> tuple[str, list[str], list[str]]:
    """Three text and three JSON digests of the same file: are they byte-identical?"""
    path = data_file(customers, "parquet")
    texts, jsons = [], []
    for i in range(3):
        note(f"determinism {customers:,}: text and JSON run {i + 1}/3")
        texts.append(digest_once(path, "text")[1])
        jsons.append(digest_once(path, "json")[1])

    def verdict(bodies: list[str]) -> str:
        return "identical" if len(set(bodies)) == 1 else f"{len(set(bodies))} different outputs"

    return f"text {verdict(texts)}, JSON {verdict(jsons)}", texts, jsons


def json_child(command: list[str], timeout: float = OTHER_TIMEOUT) -> dict[str, Any]:
    run = child(command, timeout)
    if not run.ok:
        return {"problem": run.problem}
    result: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    result["child_s"], result["child_peak_mb"] = run.seconds, run.peak_mb
    return result


def phases(customers: int, profile: bool = False) -> dict[str, Any]:
    note(f"phases {customers:,} parquet" + (" (cProfile)" if profile else ""))
    with tempfile.TemporaryDirectory(prefix="scale-") as tmp:
        command = [
            PYTHON, str(BENCH / "scale_phases.py"), str(data_file(customers, "parquet")),
            str(Path(tmp) / "state.db"),
        ]  # fmt: skip
        if profile:
            command += ["--profile", str(BENCH / "data" / f"profile-{customers}.txt")]
        result = json_child(command, DIGEST_TIMEOUT)
    result["load"] = load()
    return result


def mcp(customers: int) -> dict[str, Any]:
    note(f"warm MCP at {customers:,} customers")
    with tempfile.TemporaryDirectory(prefix="scale-") as tmp:
        result = json_child(
            [
                PYTHON,
                str(BENCH / "scale_mcp.py"),
                str(data_file(customers, "parquet")),
                str(Path(tmp) / "state.db"),
            ]
        )
    result["load"] = load()
    return result


def tableau(customers: int, latency: float, views: str, listed: bool) -> dict[str, Any]:
    """Serve the emulator in its own process, then run the client in a fresh one."""
    note(f"tableau: {customers:,} customers, {views} view(s), {latency * 1000:.0f} ms latency")
    script = str(BENCH / "scale_tableau.py")
    server = subprocess.Popen(
        [PYTHON, script, "serve", str(customers), str(latency), views],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        served = json.loads(server.stdout.readline())
        result = json_child(
            [PYTHON, script, "client", served["url"], str(customers if listed else 0), views]
        )
        result.update(served, load=load())
    finally:
        assert server.stdin is not None
        server.stdin.close()
    result.update(json.loads(server.stdout.readline()))
    server.wait(timeout=30)
    return result


def pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "—"


def write_data(sizes: list[int]) -> None:
    """Write the data files first, in a child: generating them here would raise this
    process's peak RSS, which every later child inherits as its own starting peak."""
    subprocess.run(
        [PYTHON, str(BENCH / "scale_data.py"), *map(str, sizes)],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def section(profile: bool = False) -> str:
    write_data([1_000, 5_000, 10_000, 50_000])
    cases = [
        Case(1_000, "parquet", 3),
        Case(10_000, "parquet", 3),
        Case(10_000, "csv", 3),
        Case(50_000, "parquet", 1),
        Case(50_000, "csv", 1),
    ]
    for case in cases:
        run_case(case)
    same, _, _ = determinism(10_000)
    breakdown = [phases(10_000), phases(50_000)]
    if profile:
        phases(10_000, profile=True)
    warm = mcp(5_000)
    tab = tableau(5_000, 0.1, "all", listed=True)
    big = tableau(50_000, 0.0, "daily", listed=False)
    lines = [
        "## The compute core at scale (issue 19)\n\n",
        f"Data: N customers x {SERVICES} services x {DAYS} days of daily rows ending the day "
        f"before {AS_OF} (bench/scale_data.py, generated by DuckDB, cached in bench/data/). "
        "**Ours** is `spend-monitor digest --dry-run --format json --output FILE` in a fresh "
        "process (config: a `local` source on the file, no customers listed, a fresh state "
        "database); **floor** is one DuckDB query over the same file returning every aggregate "
        "the digest needs, per customer, per customer x service and per customer x day "
        "(bench/scale_floor.py, the issue's richer floor). Wall time includes interpreter "
        "start; peak is the child's own RSS. Runs alternate floor/ours; 50,000-customer cases "
        "run once, the others 3 times (best wall, highest peak). Load is the 1-minute load "
        f"average before each run on a machine of {os.cpu_count()} cores shared with other "
        "work. Rerun this section alone with `make bench BENCH=scale` (about 3 minutes; "
        "`python bench/run.py scale --profile` also writes a cProfile of the 10,000-customer "
        "digest to bench/data/profile-10000.txt).\n\n",
        "| case | ours wall | floor wall | ratio | ours peak MB | floor peak MB | state DB MB "
        "after one dry run | target (issue 19) | | runs | load |\n",
        "|---|---|---|---|---|---|---|---|---|---|---|\n",
        *(target_row(c) for c in cases),
        f"\nDeterminism, 10,000 customers, three CLI runs each: **{same}**; the three timed "
        f"JSON runs: 10,000 Parquet {len(set(cases[1].outputs))} distinct, 10,000 CSV "
        f"{len(set(cases[2].outputs))} distinct (target: identical). Money is exact (DECIMAL "
        "sums in the database, integer 1/10,000 units for window totals, math.fsum in the "
        "one-customer rules), so this holds every time; tests/test_exact_money.py checks it "
        "in the suite.\n",
    ]
    lines.append(
        "\nWhere the time and memory go (in process, `embedded()` and the steps `digest` "
        "takes, bench/scale_phases.py; peak RSS after each step):\n\n"
        "| customers | import | fetch | compute | record | JSON | total | "
        "peak MB after fetch / compute / record / JSON | state DB MB | load |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n"
    )
    for customers, p in zip((10_000, 50_000), breakdown, strict=True):
        if "problem" in p:
            lines.append(f"| {customers:,} | failed: {p['problem'][:100]} |\n")
            continue
        total = p["total_s"]
        steps = ("import_s", "fetch_s", "compute_s", "record_s", "render_json_s")
        cells = [f"{p[k]} s ({pct(p[k], total)})" for k in steps]
        peaks = " / ".join(
            str(p[f"{k}_peak_mb"]) for k in ("fetch", "compute", "record", "render_json")
        )
        lines.append(
            f"| {customers:,} | {' | '.join(cells)} | {total} s | {peaks} | {p['state_mb']} | "
            f"{p['load']} |\n"
        )
    lines.append(
        "\n| warm case | measured | target | |\n|---|---|---|---|\n"
        + mcp_rows(warm)
        + tableau_rows(tab, big)
    )
    return "".join(lines)


def mcp_rows(r: dict[str, Any]) -> str:
    if "problem" in r:
        return f"| MCP at 5,000 customers | failed: {r['problem'][:100]} | | |\n"
    page, one = r["page"], r["one"]
    return (
        f"| MCP get_customer_pace, limit 50, 5,000 customers, warm (first call "
        f"{r['first_s']} s; load {r['load']}) | median {page['median_ms']} ms, p95 "
        f"{page['p95_ms']} ms; {r['full_gcs']} full GCs in the 200 calls, "
        f"{r['full_gc_ms']} ms in all | < 50 ms median, p95 < 100 ms | "
        f"**{'met' if page['median_ms'] < 50 and page['p95_ms'] < 100 else 'missed'}** |\n"
        f"| MCP get_customer_pace, one customer, warm | median {one['median_ms']} ms "
        f"(p95 {one['p95_ms']} ms) | < 10 ms | "
        f"**{'met' if one['median_ms'] < 10 else 'missed'}** |\n"
    )


def tableau_rows(tab: dict[str, Any], big: dict[str, Any]) -> str:
    out = ""
    if "problem" in tab:
        out += f"| Tableau, 5,000 customers | failed: {tab['problem'][:100]} | | |\n"
    else:
        out += (
            f"| Tableau digest, 5,000 customers listed, three views, 100 ms per request "
            f"(load {tab['load']}) | {tab['seconds']} s, peak {tab['peak_mb']} MB; "
            f"{tab['requests']} requests, our CPU {tab['client_cpu_s']} s, the emulator's "
            f"{tab['server_cpu_s']} s | < 6 s | "
            f"**{'met' if tab['seconds'] < 6 else 'missed'}** |\n"
        )
    if "problem" in big:
        out += f"| Tableau, 100 MB view | failed: {big['problem'][:100]} | | |\n"
    else:
        out += (
            f"| Tableau digest, daily view alone, unfiltered, {big['daily_mb']} MB of CSV "
            f"({big['daily_rows']:,} rows; load {big['load']}) | peak {big['peak_mb']} MB, "
            f"{big['seconds']} s (our CPU {big['client_cpu_s']} s, the emulator's "
            f"{big['server_cpu_s']} s) | < 400 MB peak "
            "for ~100 MB | "
            f"**{'met' if big['peak_mb'] < 400 else 'missed'}** |\n"
        )
    return out


if __name__ == "__main__":
    print(section(profile="--profile" in sys.argv[1:]))
