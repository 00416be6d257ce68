"""The ``ecoradar`` command line: one typer app, one module per command group."""

from __future__ import annotations

import typer

from ecoradar.cli import (
    alerts,
    db,
    gateway,
    hj212,
    monitoring,
    regions,
    registry,
    sample,
    serve,
    simulate,
)

app = typer.Typer(
    name="ecoradar",
    help="EcoRadar: find pollution problems early and see each one through to closure.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(regions.app, name="regions")
app.add_typer(registry.app, name="registry")
app.add_typer(hj212.app, name="hj212")
app.add_typer(monitoring.app, name="measurements")
app.command("ingest")(monitoring.ingest)
app.add_typer(alerts.app, name="alerts")
app.command("sample-city")(sample.sample_city)
app.add_typer(simulate.app, name="simulate")
app.command("serve")(serve.serve)
app.command("gateway")(gateway.gateway)


def main() -> None:
    app()
