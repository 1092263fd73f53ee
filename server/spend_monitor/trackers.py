"""The escalation tracker, the ENGDESK ticket files and the CRM's owners file.

Tracker files are written by people and other tools, so they are untrusted: a malformed file
or entry is skipped with a warning that names it, and never aborts the digest. Which tickets
are closed is the domain's rule (`domain.watch.is_open`), not this reader's.
"""

from __future__ import annotations

import csv
import glob
import io
import json
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .domain.models import Escalation, Ticket
from .domain.ownership import OwnerRow
from .errors import ConfigError

Entry = TypeVar("Entry", bound=BaseModel)

# Names people type; a number here is a mistake (ids may be numbers, names may not).
TEXT_ONLY = ("customer", "status")
OWNERS_HEADER = ["customer", "owner"]


class TrackerData(BaseModel):
    escalations: list[Escalation] = []
    tickets: list[Ticket] = []
    warnings: list[str] = []


def _load_json(path: Path, warnings: list[str]) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        warnings.append(f"{path}: tracker file not found; skipped")
    except UnicodeDecodeError:
        warnings.append(f"{path}: not UTF-8 text; skipped (save it as UTF-8)")
    except OSError as exc:
        warnings.append(f"{path}: cannot read ({exc.strerror or type(exc).__name__}); skipped")
    except json.JSONDecodeError as exc:
        warnings.append(f"{path}: not valid JSON (line {exc.lineno}); skipped")
    return None


def _problem(item: Any) -> str | None:
    """What the model would accept but a person did not mean, or None."""
    if not isinstance(item, dict):
        return f"expected an object, got {type(item).__name__}"
    for key in TEXT_ONLY:
        if key in item and not isinstance(item[key], str):
            return f"{key}: expected text, got {json.dumps(item[key])}"
    created, updated = item.get("created_date"), item.get("updated_date")
    if isinstance(created, str) and isinstance(updated, str) and updated[:10] < created[:10]:
        return f"updated_date {updated} is before created_date {created}"
    return None


def _entries(data: Any, model: type[Entry], where: str, warnings: list[str]) -> list[Entry]:
    items = data if isinstance(data, list) else [data]
    parsed = []
    for i, item in enumerate(items):
        label = f"{where}[{i}]" if isinstance(data, list) else where
        if isinstance(item, dict) and isinstance(item.get("ticket_id"), str | int):
            label += f" ({item['ticket_id']})"
        problem = _problem(item)
        if problem is None:
            try:
                parsed.append(model.model_validate(item))
                continue
            except ValidationError as exc:
                first = exc.errors()[0]
                field = ".".join(str(p) for p in first["loc"]) or "entry"
                problem = f"{field}: {first['msg']}"
        warnings.append(f"{label}: {problem}; entry skipped")
    return parsed


def read_trackers(
    escalation_path: Path | None,
    engdesk_glob: str | None,
) -> TrackerData:
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
            if raw is None:
                continue
            data.tickets += _entries(raw, Ticket, name, data.warnings)
    return data


def read_owners_file(path: Path) -> list[OwnerRow]:
    """A CRM export of `customer,owner` rows (a header row of those words is skipped). The
    file named in config must be readable; a row with the wrong shape is a ConfigError that
    names its line, since routing half a team's accounts wrongly is worse than not running."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"owners_file {path} not found", "fix owners_file in config") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"owners_file {path} cannot be read ({getattr(exc, 'strerror', None) or 'not UTF-8'})",
            "save it as UTF-8 CSV with customer,owner columns",
        ) from None
    rows: list[OwnerRow] = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or (number == 1 and [c.casefold() for c in cells] == OWNERS_HEADER):
            continue
        if len(cells) != 2 or not all(cells):
            raise ConfigError(
                f"{path} line {number}: expected two columns, customer,owner (got {row!r})",
                "fix that line of the owners file",
            )
        rows.append(OwnerRow(customer=cells[0], owner=cells[1], where=f"{path} line {number}"))
    return rows
