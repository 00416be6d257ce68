"""``ecoradar clues``: bulk import from other hotlines and platforms, and the export."""

from __future__ import annotations

import csv
import json
import sys
from enum import StrEnum
from pathlib import Path

import typer

from ecoradar.cli.common import container, out, progress
from ecoradar.cli.monitoring import parse_time
from ecoradar.clues import importer, service

app = typer.Typer(help="Clues from every channel.", no_args_is_help=True)


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


@app.command("export")
def export(
    since: str | None = typer.Option(
        None,
        "--since",
        help="Only clues received at or after this time (ISO 8601; no offset = UTC+8).",
    ),
    format: ExportFormat = typer.Option(ExportFormat.jsonl, "--format", help="jsonl or csv."),
) -> None:
    """Write one clue per line: id, channel, category (the Open311 service_code), lat, long,
    received_at (ISO 8601 with offset), problem_id (the problem it is attached to) and
    duplicate (true when it was attached to an existing problem automatically)."""
    with container() as box:
        moment = parse_time(since, "--since")
        with box.transaction() as session:
            records = service.export_rows(session=session, since=moment)
            if format is ExportFormat.csv:
                writer = csv.DictWriter(
                    sys.stdout, fieldnames=list(service.EXPORT_FIELDS), lineterminator="\n"
                )
                writer.writeheader()
                for record in records:
                    writer.writerow(
                        {**record, "duplicate": "true" if record["duplicate"] else "false"}
                    )
            else:
                for record in records:
                    sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")


@app.command("import")
def import_(
    file: Path = typer.Argument(..., help="A CSV or XLSX export of another hotline or platform."),
    channel: str = typer.Option(
        ..., "--channel", help=f"The channel: {', '.join(importer.IMPORT_CHANNELS)}."
    ),
    map_: list[str] = typer.Option(
        None,
        "--map",
        help="field=Column, repeatable: category, lat, long, description (required), "
        "observed_at, source_ref, reporter_name, reporter_contact, address_string, crs, "
        "attribute.CODE. A field named like a column needs no mapping.",
    ),
    mapping: Path | None = typer.Option(
        None,
        "--mapping",
        help='A JSON mapping file: {"columns": {field: column}, "categories": '
        '{label: code}, "crs": "gcj02"}; --map pairs override it.',
    ),
    crs: str | None = typer.Option(
        None, "--crs", help="Coordinates of the file: wgs84 (default), gcj02 or bd09."
    ),
) -> None:
    """Import clues, all or nothing: any bad cell prints one file:line: column: reason per
    problem on stderr, exits 1 and changes nothing. With source_ref mapped to the file's own
    id column, importing the same file again changes nothing."""
    with container() as box:
        columns = importer.parse_mapping(map_ or [], mapping, crs)
        with progress() as bar, box.transaction() as session:
            bar.add_task(f"checking and importing {file.name}", total=None)
            summary = importer.import_clues(
                session=session,
                settings=box.settings,
                index=box.regions.get(session),
                path=file,
                channel=channel,
                mapping=columns,
                now=box.clock.now(),
            )
    out.print(
        f"imported {summary.created + summary.already_known} clues: {summary.created} new "
        f"({summary.duplicates} attached to problems already reported), "
        f"{summary.already_known} already known"
    )
