"""The ``ecoradar`` command line: one typer app, one module per command group."""

from __future__ import annotations

import typer

from ecoradar.cli import (
    alerts,
    audit,
    clues,
    db,
    demo,
    fivestep,
    gateway,
    greencode,
    hj212,
    inspections,
    linkage,
    monitoring,
    open311,
    power,
    praise,
    problems,
    regions,
    registry,
    reminders,
    retention,
    rewards,
    sample,
    selfcheck,
    serve,
    simulate,
    stations,
    stats,
    tokens,
    users,
    worker,
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
monitoring.app.command("prune")(retention.prune)
app.command("ingest")(monitoring.ingest)
app.add_typer(alerts.app, name="alerts")
app.add_typer(linkage.app, name="linkage")
app.add_typer(clues.app, name="clues")
app.command("sample-city")(sample.sample_city)
app.add_typer(simulate.app, name="simulate")
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.command("gateway")(gateway.gateway)
app.command("worker")(worker.worker)
app.add_typer(users.app, name="users")
app.add_typer(tokens.app, name="tokens")
app.add_typer(open311.app, name="open311")
app.add_typer(audit.app, name="audit")
app.add_typer(problems.scheduler_app, name="scheduler")
app.add_typer(problems.calendar_app, name="calendar")
app.add_typer(selfcheck.app, name="selfcheck")
app.add_typer(rewards.app, name="rewards")
app.add_typer(stats.app, name="stats")
app.add_typer(greencode.app, name="greencode")
app.add_typer(inspections.app, name="inspections")
app.add_typer(fivestep.app, name="fivestep")
app.add_typer(reminders.app, name="reminders")
app.add_typer(power.app, name="power")
app.add_typer(stations.app, name="stations")
app.add_typer(praise.app, name="praise")


def main() -> None:
    app()
