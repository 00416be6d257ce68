"""``ecoradar stations``: ambient monitoring stations (air quality, surface water)."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from ecoradar.cli.common import container, err, out, progress
from ecoradar.core.clock import CHINA_TZ
from ecoradar.stations import batch, service
from ecoradar.stations.evaluate import run_stations
from ecoradar.stations.schemas import StationRead

if TYPE_CHECKING:
    import pandas as pd

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
def evaluate(
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine",
            help="duckdb or spark: the history pass as an engine job over --from/--to "
            "(prints the exceedance episodes; records nothing)",
        ),
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="first day (YYYY-MM-DD, China)")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="last day (YYYY-MM-DD, China)")
    ] = None,
    master: Annotated[
        str, typer.Option("--master", help="Spark master URL (default: local[2])")
    ] = "local[2]",
    hours: Annotated[
        Path | None,
        typer.Option("--hours", help="read the hours (station, hour, factor, value) from Parquet"),
    ] = None,
    export_hours: Annotated[
        Path | None,
        typer.Option("--export-hours", help="write the database's hours to this Parquet file"),
    ] = None,
) -> None:
    """Judge the stations' hours not judged yet (the scheduler does this on every pass):
    ambient-standard exceedances and sudden rises become findings.

    With --engine: the exceedance episodes beginning from --from to --to (days and years:
    ending in it), computed on DuckDB or Spark, one JSON object per episode."""
    if engine is None:
        if date_from or date_to or hours or export_hours:
            _refuse("engine: --from, --to, --hours and --export-hours need --engine")
        with container() as box:
            report = run_stations(box)
        out.print(str(report))
        return
    if engine not in batch.ENGINES:
        _refuse(f"engine: {engine!r} is not one of {', '.join(batch.ENGINES)}")
    if date_from is None or date_to is None:
        _refuse("from: --engine needs --from and --to")
    first, last = _day(date_from, "from"), _day(date_to, "to")
    if last < first or (last - first).days > 3660:
        _refuse("to: a day on or after --from, at most ten years later")
    since = datetime.combine(first, time(0), tzinfo=CHINA_TZ)
    until = datetime.combine(last + timedelta(days=1), time(0), tzinfo=CHINA_TZ)
    source: pd.DataFrame | str
    with container() as box, box.reading() as session:
        if hours is not None:
            source, limits = str(hours), batch.limits_input(session)
        else:
            source, limits = batch.history_input(session, since, until)
    if export_hours is not None and not isinstance(source, str):
        source.to_parquet(export_hours, index=False)
    backend = batch.connect(engine, spark_master=master)
    try:
        for episode in batch.run_episodes(backend, source, limits, since, until):
            sys.stdout.write(json.dumps(episode.as_dict()) + "\n")
    finally:
        batch.close(backend)


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        _refuse(f"{option}: {text!r} is not a day (YYYY-MM-DD)")


def _refuse(message: str) -> NoReturn:
    err.print(f"[red]error:[/] {message}")
    raise typer.Exit(1)
