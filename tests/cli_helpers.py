"""Drive the CLI in-process, as a user would from a shell."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from spend_monitor.cli import build_parser, legacy_parser, run


@dataclass
class Result:
    code: int
    out: str
    err: str


def invoke(capsys: pytest.CaptureFixture[str], *args: str, legacy: bool = False) -> Result:
    parser = legacy_parser() if legacy else build_parser()
    try:
        code = run(parser.parse_args(list(args)))
    except SystemExit as exc:  # argparse usage errors and --help
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)
