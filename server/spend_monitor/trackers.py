"""The escalation tracker and the ENGDESK ticket files.

Tracker files are written by people and other tools, so they are untrusted: a malformed file
or entry is skipped with a warning that names it, and never aborts the digest.
"""

from __future__ import annotations

import glob
import json
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .domain.models import Escalation, Ticket

Entry = TypeVar("Entry", bound=BaseModel)


class TrackerData(BaseModel):
    escalations: list[Escalation] = []
    tickets: list[Ticket] = []
    warnings: list[str] = []


def _load_json(path: Path, warnings: list[str]) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        warnings.append(f"{path}: tracker file not found; skipped")
    except (OSError, UnicodeDecodeError) as exc:
        warnings.append(f"{path}: cannot read ({exc.__class__.__name__}); skipped")
    except json.JSONDecodeError as exc:
        warnings.append(f"{path}: not valid JSON (line {exc.lineno}); skipped")
    return None


def _entries(data: Any, model: type[Entry], where: str, warnings: list[str]) -> list[Entry]:
    items = data if isinstance(data, list) else [data]
    parsed = []
    for i, item in enumerate(items):
        label = f"{where}[{i}]" if isinstance(data, list) else where
        try:
            parsed.append(model.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "entry"
            warnings.append(f"{label}: {field}: {first['msg']}; entry skipped")
    return parsed


def read_trackers(escalation_path: Path | None, engdesk_glob: str | None) -> TrackerData:
    data = TrackerData()
    if escalation_path is not None:
        raw = _load_json(escalation_path, data.warnings)
        if raw is not None and not isinstance(raw, list):
            data.warnings.append(f"{escalation_path}: expected a JSON array; skipped")
        elif raw is not None:
            data.escalations = _entries(raw, Escalation, str(escalation_path), data.warnings)
    if engdesk_glob:
        for name in sorted(glob.glob(engdesk_glob)):
            raw = _load_json(Path(name), data.warnings)
            if raw is not None:
                data.tickets += _entries(raw, Ticket, name, data.warnings)
    return data
