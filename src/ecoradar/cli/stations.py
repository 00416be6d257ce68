"""``ecoradar stations``: ambient monitoring stations (air quality, surface water)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ecoradar.cli.common import container, out, progress
from ecoradar.stations import service
from ecoradar.stations.evaluate import run_stations
from ecoradar.stations.schemas import StationRead

app = typer.Typer(help="Ambient monitoring stations (air quality, surface water).")


@app.command("import")
def import_(file: Path = typer.Argument(..., help="Stations CSV/XLSX.")) -> None:
    """Import ambient stations; all or nothing, updates by station code.

    Columns: code,name,kind,mn,longitude,latitude[,password][,water_class][,crs];
    kind is air or water. Any bad row: one line per problem on stderr (file, line, column,
    reason), exit status 1, database unchanged.
    """
    with container() as box, progress() as bar:
        bar.add_task("checking and importing the stations", total=None)
        with box.transaction() as session:
            summary = service.import_stations(
                session=session, path=file, regions=box.regions, now=box.clock.now()
            )
    out.print(
        f"imported {summary.created + summary.updated} stations "
        f"({summary.created} created, {summary.updated} updated)"
    )


@app.command("list")
def list_() -> None:
    """Every station as JSON lines (code, name, kind, MN, location, region, newest hour)."""
    with container() as box, box.reading() as session:
        for row in service.list_stations(session=session):
            out.print(json.dumps(StationRead.row(row).model_dump(mode="json"), ensure_ascii=False))


@app.command("evaluate")
def evaluate() -> None:
    """Judge the stations' hours not judged yet (the scheduler does this on every pass):
    ambient-standard exceedances and sudden rises become findings."""
    with container() as box:
        report = run_stations(box)
    out.print(str(report))
