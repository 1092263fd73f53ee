"""README's commands for the local example, run as written — in a fresh copy of the files a
clone has, with `.venv` a fresh virtualenv of the built wheel, from the clone's root and then
from elsewhere. Nothing is downloaded: the wheel is built once per session without build
isolation, installed with --no-deps, and the venv sees this environment's dependencies
through a .pth file."""

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WALKTHROUGH = re.compile(r"<!-- walkthrough: ([\w ]+) -->\n```bash\n(.*?)```", re.S)
CLONE_FILES = ["Makefile", ".env.example", "config/example-config.json"]
CLONE_FILES += ["examples/local/config.json", "examples/local/make_data.py"]


def readme_block(name: str) -> str:
    blocks = dict(WALKTHROUGH.findall((ROOT / "README.md").read_text(encoding="utf-8")))
    assert name in blocks, f"README has no walkthrough block {name!r}"
    return blocks[name]


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
    )
    (built,) = out.glob("*.whl")
    return built


@pytest.fixture
def clone(tmp_path: Path, wheel: Path) -> Path:
    """What `git clone` gives (the files these steps read), plus `.venv` from the wheel."""
    root = tmp_path / "clone"
    for name in CLONE_FILES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, root / name)
    venv = root / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
    )
    (site,) = venv.glob("lib/python*/site-packages")
    (site / "project-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return root


def environment(home: Path) -> dict[str, str]:
    """A user's shell: no project variables, a home of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPEND_MONITOR", "PYTHON"))}
    for name in (
        "CONFIG_PATH",
        "DRY_RUN",
        "SLACK_BOT_TOKEN",
        "TELEGRAM_BOT_TOKEN",
        "TABLEAU_PAT_SECRET",
        "XDG_STATE_HOME",
        "VIRTUAL_ENV",
    ):
        env.pop(name, None)
    env["HOME"] = str(home)
    return env


def sh(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", "-ec", script],
        cwd=cwd,
        env=environment(cwd.parent),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_venv_runs_the_wheel_not_the_source_tree(clone):
    result = sh(".venv/bin/python -c 'import spend_monitor; print(spend_monitor.__file__)'", clone)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(str(clone / ".venv")), result.stdout


def test_the_local_example_runs_as_written_from_anywhere(clone):
    result = sh(readme_block("local example"), clone)
    assert result.returncode == 0, result.stderr
    digest = result.stdout[result.stdout.index("📊") :]
    assert "Globex" in digest
    assert '"user" line item vanished' in digest
    assert "Umbrella Telecom: 3 escalations this week" in digest
    assert "ENGDESK-1001 stale" in digest
    assert "ENGDESK-1003" not in digest  # resolved
    assert "dry run: nothing posted" in result.stderr
    assert "warning" not in result.stderr

    elsewhere = clone.parent / "elsewhere"
    elsewhere.mkdir()
    again = sh(
        f"{clone}/.venv/bin/spend-monitor digest --config "
        f"{clone}/examples/local/config.json --dry-run",
        elsewhere,
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout == digest
    assert (clone / "examples" / "local" / "state.db").is_file()


def test_your_own_csv_starts_from_the_local_example(clone):
    assert sh("make example", clone).returncode == 0
    result = sh(readme_block("own csv"), clone)
    assert result.returncode == 0, result.stderr
    assert f"source: local — {clone}/config/revenue.csv" in result.stdout
    assert "Acme Voice" in result.stdout[result.stdout.index("📊") :]
    assert "trackers: ENGDESK tickets: 3" in result.stdout
    assert "warning" not in result.stderr


def test_the_tableau_steps_as_written(clone, tableau):
    """The README's Tableau block with its two "then edit" steps done as a user would: the
    server and views of their site, the billing agent removed, the PAT secret in .env."""
    from fakes.tableau import revenue_views
    from spend_monitor.clock import today_in
    from spend_monitor.demo import write_demo

    today = today_in("America/Chicago")
    demo = write_demo(clone.parent, today)
    names = {"acme-voice": "Acme Voice"}
    with demo.revenue.open(encoding="utf-8") as handle:
        rows = [line.rstrip("\n").split(",") for line in handle][1:]
    revenue_views(
        tableau,
        [(date.fromisoformat(d), names.get(c, c), s, float(a)) for d, c, s, a in rows],
    )
    steps = readme_block("tableau").splitlines()
    copies = [line for line in steps if line.startswith("cp ")]
    assert sh("\n".join(copies), clone).returncode == 0

    config_path = clone / "config" / "config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["tableau"]["server"] = tableau.url
    config["tableau"]["views"]["service_breakdown"] = "Revenue/Services"
    config["source"] = "tableau"
    del config["a2a"]
    config_path.write_text(json.dumps(config), encoding="utf-8")
    env_file = clone / ".env"
    env_file.write_text(
        env_file.read_text(encoding="utf-8").replace(
            "TABLEAU_PAT_SECRET=\n", "TABLEAU_PAT_SECRET=pat-secret\n"
        ),
        encoding="utf-8",
    )

    result = sh("\n".join(line for line in steps if line not in copies), clone)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"source: tableau — signed in to {tableau.url}" in result.stdout
    assert "slack: section present but SLACK_BOT_TOKEN is not set: will not post" in result.stdout
    digest = result.stdout[result.stdout.index("📊") :]
    assert "Globex" in digest
    assert "pat-secret" not in result.stdout + result.stderr
