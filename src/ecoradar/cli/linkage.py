"""``ecoradar linkage``: the analyses that join the channels (issue 17) — ``suspects`` ranks the
enterprises that could have caused a clue, ``hotspots`` finds where reports crowd together."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from ecoradar.cli.common import container, err
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError
from ecoradar.linkage import batch
from ecoradar.linkage import hotspots as hotspot_service
from ecoradar.linkage import suspects as service
from ecoradar.linkage.hotspots_rules import DEFAULT_SETTINGS
from ecoradar.linkage.suspects_rules import DEFAULT_RADIUS_M, Clue

app = typer.Typer(help="Big-data linkage: suspects for a clue, hotspots.", no_args_is_help=True)


def parse_time(text: str) -> datetime:
    """An ISO 8601 time; without an offset it is China time (UTC+8)."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InputError(f"at: {text!r} is not an ISO 8601 time (2026-12-05T08:30+08:00)") from exc
    return when if when.tzinfo is not None else when.replace(tzinfo=CHINA_TZ)


@app.command("suspects")
def suspects(
    lat: Annotated[float, typer.Option("--lat", help="the clue's latitude (WGS84)")],
    long: Annotated[float, typer.Option("--long", help="the clue's longitude (WGS84)")],
    at: Annotated[str, typer.Option("--at", help="when it was seen (ISO 8601; no offset: UTC+8)")],
    category: Annotated[str, typer.Option("--category", help="the clue's category (service_code)")],
    radius_m: Annotated[
        float, typer.Option("--radius-m", help="search radius in metres")
    ] = DEFAULT_RADIUS_M,
) -> None:
    """Print one JSON object per candidate enterprise, best first: ``enterprise_code``,
    ``score`` (0-1), ``distance_m``, ``reasons``."""
    with container() as box:
        clue = Clue(lat, long, parse_time(at), category.strip(), radius_m)
        with box.reading() as session:
            found = service.suspects(session=session, clue=clue, wind=service.wind_from(session))
        for suspect in found:
            sys.stdout.write(json.dumps(service.as_record(suspect), ensure_ascii=False) + "\n")


@app.command("hotspots")
def hotspots(
    at: Annotated[
        str | None, typer.Option("--at", help="end of the window (ISO 8601; default: now)")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="only print them; record no finding")
    ] = False,
) -> None:
    """Find the hotspots of the last 7 days against the 8 weeks before, record each as a
    finding of the ``linkage`` channel, and print one JSON object per hotspot, hottest first."""
    with container() as box:
        now = parse_time(at) if at else None
        run = hotspot_service.record(box, now=now, dry_run=dry_run)
        for spot in run.found:
            sys.stdout.write(json.dumps(hotspot_service.as_dict(spot), ensure_ascii=False) + "\n")
        verb = "would be recorded" if dry_run else "recorded"
        count = len(run.found) if dry_run else run.recorded
        sys.stderr.write(f"{len(run.found)} hotspot(s); {count} new finding(s) {verb}\n")


@app.command("batch")
def batch_hotspots(
    date_from: Annotated[str, typer.Option("--from", help="first day (YYYY-MM-DD)")],
    date_to: Annotated[str, typer.Option("--to", help="last day (YYYY-MM-DD)")],
    engine: Annotated[
        str, typer.Option("--engine", help="duckdb (in-process, default) or spark")
    ] = "duckdb",
    master: Annotated[
        str, typer.Option("--master", help="Spark master URL (default: local[2])")
    ] = "local[2]",
    events: Annotated[
        Path | None,
        typer.Option("--events", help="read the events (cell, day) from Parquet files"),
    ] = None,
    export_events: Annotated[
        Path | None,
        typer.Option("--export-events", help="write the database's events to this Parquet file"),
    ] = None,
) -> None:
    """Hotspots over history: the search as of each day's China midnight from --from to --to,
    counted on DuckDB or Spark, judged as the live search judges. One JSON object per day and
    hot neighbourhood."""
    first, last = _day(date_from, "from"), _day(date_to, "to")
    if engine not in batch.ENGINES:
        raise_refusal(f"engine: {engine!r} is not one of {', '.join(batch.ENGINES)}")
    if last < first or (last - first).days > 3660:
        raise_refusal("to: a day on or after --from, at most ten years later")
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    source: Any
    if events is not None:
        source = str(events)
    else:
        with container() as box, box.reading() as session:
            settings = DEFAULT_SETTINGS
            since = _midnight(first) - settings.window * (settings.baseline_windows + 1)
            source = batch.events_frame(
                hotspot_service.events(session, since, _midnight(last) + timedelta(days=1))
            )
        if export_events is not None:
            source.to_parquet(export_events, index=False)
    backend = batch.connect(engine, spark_master=master)
    for day in batch.run_hotspots(backend, source, days):
        for spot in day.hot:
            record = {"day": day.day.isoformat(), **asdict(spot)}
            sys.stdout.write(json.dumps(record) + "\n")


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise_refusal(f"{option}: {text!r} is not a day (YYYY-MM-DD)")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=CHINA_TZ)


def raise_refusal(message: str) -> NoReturn:
    err.print(f"[red]error:[/] {message}")
    raise typer.Exit(1)
