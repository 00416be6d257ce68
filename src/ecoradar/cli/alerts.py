"""``ecoradar alerts``: what the detection engine found."""

from __future__ import annotations

import csv
import json
import sys
from enum import StrEnum

import typer

from ecoradar.cli.common import container
from ecoradar.cli.monitoring import parse_time
from ecoradar.core.errors import InputError
from ecoradar.detection import service
from ecoradar.detection.models import KINDS

app = typer.Typer(help="Alerts raised by the detection engine.", no_args_is_help=True)


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


@app.command("export")
def export(
    format: ExportFormat = typer.Option(ExportFormat.jsonl, "--format", help="jsonl or csv."),
    kind: str | None = typer.Option(None, "--kind", help=f"Only this kind: {', '.join(KINDS)}."),
    since: str | None = typer.Option(
        None,
        "--since",
        help="Only alerts still going at or after this time (ISO 8601; no offset = UTC+8).",
    ),
) -> None:
    """Write one alert per line: id, mn, enterprise_code, factor (null for device-level kinds),
    kind, start, end (null while open), severity, evidence; times ISO 8601 with offset."""
    with container() as box:
        if kind is not None and kind not in KINDS:
            raise InputError(f"--kind {kind!r} is not one of {', '.join(KINDS)}")
        moment = parse_time(since, "--since")
        with box.transaction() as session:
            records = service.export_alerts(session=session, kind=kind, since=moment)
            if format is ExportFormat.csv:
                writer = csv.DictWriter(
                    sys.stdout, fieldnames=list(service.EXPORT_FIELDS), lineterminator="\n"
                )
                writer.writeheader()
                for record in records:
                    writer.writerow(
                        {**record, "evidence": json.dumps(record["evidence"], ensure_ascii=False)}
                    )
            else:
                for record in records:
                    sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
