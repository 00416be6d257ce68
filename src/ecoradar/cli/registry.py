"""``ecoradar registry``: enterprises, outlets, monitoring points and limits."""

from __future__ import annotations

import csv
import io
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from ecoradar.cli.common import container, err, out, progress
from ecoradar.registry import service
from ecoradar.registry.importer import (
    ENTERPRISE_COLUMNS,
    ENTERPRISE_OPTIONAL,
    POINT_COLUMNS,
    POINT_OPTIONAL,
)
from ecoradar.registry.standards import STANDARDS

app = typer.Typer(help="The enterprise registry.", no_args_is_help=True)


class ExportFormat(StrEnum):
    json = "json"
    csv = "csv"


@app.command("import")
def import_(
    enterprises: Path | None = typer.Option(None, "--enterprises", help="Enterprises CSV/XLSX."),
    points: Path | None = typer.Option(None, "--points", help="Monitoring point CSV/XLSX."),
) -> None:
    """Import enterprises and monitoring points; all or nothing, updates by natural keys.

    Enterprise columns: code,name,industry,longitude,latitude,address[,crs].
    Point columns (one row per factor): enterprise_code,outlet_code,outlet_name,mn,medium,
    factor,limit,unit,averaging,o2_reference[,standard][,password].
    Any bad row: one line per problem on stderr, exit status 1, database unchanged.
    """
    if enterprises is None and points is None:
        err.print("[red]error:[/] give --enterprises, --points or both")
        raise typer.Exit(2)
    with container() as box, progress() as bar:
        bar.add_task("checking and importing the registry", total=None)
        with box.transaction() as session:
            summary = service.import_registry(
                session=session,
                enterprises=enterprises,
                points=points,
                regions=box.regions,
                now=box.clock.now(),
            )
    out.print(
        f"imported {summary.enterprises_created + summary.enterprises_updated} enterprises "
        f"({summary.enterprises_created} created, {summary.enterprises_updated} updated), "
        f"{summary.outlets} outlets, {summary.points} monitoring points, {summary.limits} limits"
    )


def _csv_text(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


@app.command("export")
def export(
    format: ExportFormat = typer.Option(ExportFormat.json, "--format", help="json or csv."),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="json: a file; csv: a directory that receives enterprises.csv and points.csv. "
        "Default: standard output (csv: the enterprises table, a blank line, the points table).",
    ),
) -> None:
    """Write the registry back out in the import format."""
    with container() as box, box.transaction() as session:
        enterprises, points = service.export_rows(session=session)
    if format is ExportFormat.json:
        text = json.dumps(
            {"enterprises": enterprises, "points": points}, ensure_ascii=False, indent=2
        )
        if output is None:
            sys.stdout.write(text + "\n")
        else:
            output.write_text(text + "\n", encoding="utf-8")
        return
    enterprise_csv = _csv_text(ENTERPRISE_COLUMNS + ENTERPRISE_OPTIONAL, enterprises)
    point_csv = _csv_text(POINT_COLUMNS + POINT_OPTIONAL, points)
    if output is None:
        sys.stdout.write(enterprise_csv + "\n" + point_csv)
        return
    output.mkdir(parents=True, exist_ok=True)
    (output / "enterprises.csv").write_text(enterprise_csv, encoding="utf-8")
    (output / "points.csv").write_text(point_csv, encoding="utf-8")
    out.print(f"wrote {output / 'enterprises.csv'} and {output / 'points.csv'}")


@app.command("standards")
def standards() -> None:
    """List the standards library: named limit sets a point can reference in `standard`."""
    for key, limit_set in STANDARDS.items():
        limits = ", ".join(
            f"{spec.factor} {spec.limit:g} {spec.unit}/{spec.averaging}"
            + (f" @{spec.o2_reference:g}% O2" if spec.o2_reference is not None else "")
            for spec in limit_set.limits.values()
        )
        out.print(f"{key}\t{limit_set.title_en}\t{limits}")
