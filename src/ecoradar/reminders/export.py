"""The export of reminders: one per line (JSON lines or CSV), oldest first."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.reminders.models import Reminder
from ecoradar.reminders.triggers import local

CSV_FIELDS = ("number", "enterprise_code", "status", "created_at", "issues")


def record(reminder: Reminder) -> dict[str, Any]:
    return {
        "number": reminder.number,
        "enterprise_code": reminder.enterprise.code,
        "status": reminder.state,
        "created_at": local(reminder.created_at),
        "issues": [
            {"trigger": i.trigger, "factor": i.factor, "evidence": i.evidence}
            for i in reminder.issues
        ],
    }


def records(session: Session) -> Iterator[dict[str, Any]]:
    query = select(Reminder).order_by(Reminder.created_at, Reminder.id)
    for reminder in session.scalars(query):
        yield record(reminder)


def jsonl_line(item: dict[str, Any]) -> str:
    return json.dumps(item, ensure_ascii=False) + "\n"


def csv_header() -> str:
    return ",".join(CSV_FIELDS) + "\n"


def csv_line(item: dict[str, Any]) -> str:
    buffer = io.StringIO()
    row = dict(item)
    row["issues"] = json.dumps(item["issues"], ensure_ascii=False)
    csv.DictWriter(buffer, CSV_FIELDS, lineterminator="\n").writerow(row)
    return buffer.getvalue()
