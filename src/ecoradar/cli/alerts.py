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


@app.command("tune")
def tune(
    mn: str = typer.Option(..., "--mn", help="The monitoring point's MN."),
    factor: str | None = typer.Option(
        None, "--factor", help="Only this factor's thresholds (default: the whole point)."
    ),
    settings: list[str] = typer.Argument(
        None, help="NAME=VALUE pairs, e.g. flatline_hours=8; NAME= restores the default."
    ),
) -> None:
    """Set detection thresholds for one point or one factor (names: see `ecoradar.detection.
    params.Params`, e.g. flatline_hours, zero_hours, pinning_band, offline_intervals).

    Without NAME=VALUE pairs, prints the overrides in force there."""
    pairs: dict[str, str] = {}
    for item in settings or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise typer.BadParameter(f"{item!r} is not NAME=VALUE")
        pairs[name.strip()] = value.strip()
    with container() as box, box.transaction() as session:
        overrides = service.tune(session=session, mn=mn, factor=factor, settings=pairs)
    sys.stdout.write(json.dumps(overrides, ensure_ascii=False) + "\n")
