"""``ecoradar power``: the power registry (units, meters), the MQTT subscriber, and the rules
over stored history (``detect``: the live rules a day at a time, storing; ``batch``: the
idle-treatment rule as an engine job on DuckDB or Spark, printing)."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from ecoradar.cli.common import container, err, out
from ecoradar.core.errors import InputError
from ecoradar.power import service
from ecoradar.power.detect import Report
from ecoradar.power.mqtt import PowerSubscriber
from ecoradar.power.periodic import judge

app = typer.Typer(help="Power sub-metering: meters, readings, episodes.", no_args_is_help=True)


@app.command("import")
def import_(
    units: Path | None = typer.Option(None, "--units", help="Units CSV/XLSX."),
    meters: Path | None = typer.Option(None, "--meters", help="Meters CSV/XLSX."),
) -> None:
    """Import production units, treatment facilities and meters; all or nothing.

    Units: enterprise_code,unit_code,name,kind[,treats][,serves].
    Meters: meter_id,enterprise_code,unit_code,rated_kw,running_above,idle_below
    [,interval_s][,points]. Thresholds in kW or as a share of rated (30%).
    Any bad row: one line per problem on stderr, exit status 1, database unchanged.
    """
    if units is None and meters is None:
        err.print("[red]error:[/] give --units, --meters or both")
        raise typer.Exit(2)
    with container() as box, box.transaction() as session:
        summary = service.import_power(
            session=session, units=units, meters=meters, now=box.clock.now()
        )
    out.print(f"imported {summary.units} units and {summary.meters} meters")


@app.command("meters")
def list_meters(
    enterprise: str | None = typer.Option(None, "--enterprise", help="Enterprise code."),
) -> None:
    """List the meters: id, enterprise, unit, kind, rated, running/idle thresholds (kW)."""
    with container() as box, box.reading() as session:
        rows = service.meters(session=session, enterprise=enterprise)
    for r in rows:
        m = r.meter
        out.print(
            f"{m.code}\t{r.enterprise_code}\t{r.unit.code}\t{r.unit.kind}\t{m.rated_kw:g}\t"
            f">={m.running_kw:g}\t<{m.idle_kw:g}\t{m.interval_s}s\t{';'.join(m.points)}",
            markup=False,
        )


@app.command("subscribe")
def subscribe(
    url: str | None = typer.Option(None, "--url", help="mqtt://host:port (ECORADAR_MQTT_URL)."),
    prefix: str | None = typer.Option(None, "--prefix", help="Topic prefix."),
) -> None:
    """Subscribe to the meter gateways' readings on the broker (until stopped)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    with container() as box:
        subscriber = PowerSubscriber(box, url=url, prefix=prefix)
        err.print(f"subscribing to {subscriber.prefix}/+/+ on {subscriber.broker.host}")
        try:
            asyncio.run(subscriber.run())
        except KeyboardInterrupt:
            pass


def _when(text: str, name: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{name}: {text!r} is not an ISO 8601 time") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@app.command("detect")
def detect_history(
    since: str = typer.Option(..., "--since", help="ISO 8601 (UTC without an offset)."),
    until: str | None = typer.Option(None, "--until", help="ISO 8601; default now."),
    enterprise: str | None = typer.Option(None, "--enterprise", help="Enterprise code."),
) -> None:
    """Run the rules over stored readings, a day at a time; episodes and findings are made
    once (running it again finds the same ones)."""
    with container() as box:
        start = _when(since, "--since")
        end = _when(until, "--until") if until else box.clock.now()
        with box.reading() as session:
            metered = service.metered_enterprises(session=session)
        ids = [e.id for e, _ in metered if enterprise is None or e.code == enterprise.upper()]
        total = Report()
        day = start
        while day < end:
            step = min(day + timedelta(days=1), end)
            for enterprise_id in ids:
                total.add(judge(box, enterprise_id, day, step))
            day = step
    out.print(
        f"judged {len(ids)} enterprises: {total.new} new episodes, {total.grown} grown, "
        f"{total.findings} findings, {total.revised} revised, {total.withdrawn} withdrawn",
        markup=False,
    )
    if enterprise and not ids:
        err.print(f"[yellow]note:[/] no meters of enterprise {escape(enterprise)}")


@app.command("batch")
def batch_history(
    since: str = typer.Option(..., "--from", help="ISO 8601 (UTC without an offset)."),
    until: str = typer.Option(..., "--to", help="ISO 8601 (UTC without an offset)."),
    engine: str = typer.Option("duckdb", "--engine", help="duckdb (in-process) or spark."),
    master: str = typer.Option("local[2]", "--master", help="Spark master URL."),
    enterprise: str | None = typer.Option(None, "--enterprise", help="Enterprise code."),
    readings: Path | None = typer.Option(
        None, "--readings", help="Read the readings (meter, at, kw) from Parquet files."
    ),
    export_readings: Path | None = typer.Option(
        None, "--export-readings", help="Write the database's readings to this Parquet file."
    ),
) -> None:
    """Treatment off or idling while production runs, over [--from, --to) on DuckDB or Spark
    (the rule as an engine job; nothing stored). One JSON object per episode."""
    from ecoradar.core.engines import ENGINES, close, connect
    from ecoradar.power import batch

    with container() as box:
        if engine not in ENGINES:
            raise InputError(f"--engine: {engine!r} is not one of {', '.join(ENGINES)}")
        start, end = _when(since, "--from"), _when(until, "--to")
        if end <= start:
            raise InputError("--to: a time after --from")
        with box.reading() as session:
            inputs = batch.from_database(session, start, end, enterprise)
    source: Any = str(readings) if readings is not None else batch.readings_frame(inputs.readings)
    if export_readings is not None and readings is None:
        source.to_parquet(export_readings, index=False)
    backend = connect(engine, spark_master=master)
    try:
        found = batch.run_idle(
            backend,
            source,
            batch.meters_frame(inputs.meters),
            batch.roles_frame(inputs.roles),
            start,
            end,
        )
    finally:
        close(backend)
    for episode in found:
        sys.stdout.write(json.dumps(episode.as_json(), ensure_ascii=False) + "\n")
