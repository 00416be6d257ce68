"""``ecoradar selfcheck``: control points, checklist templates, task generation, figures."""

from __future__ import annotations

import json
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path

import typer
from sqlalchemy import select

from ecoradar.cli.common import container, out
from ecoradar.core.errors import InputError
from ecoradar.problems.policy import stored_calendar
from ecoradar.selfcheck import stats as figures
from ecoradar.selfcheck.generator import generate_tasks
from ecoradar.selfcheck.importer import import_points
from ecoradar.selfcheck.models import PointType
from ecoradar.selfcheck.schedule import china_date
from ecoradar.selfcheck.templates import (
    current_version,
    ensure_defaults,
    import_templates,
    read_templates_file,
)

ACTOR = "cli:ecoradar"

app = typer.Typer(help="Enterprise self-inspection.", no_args_is_help=True)
templates_app = typer.Typer(help="Checklist templates (versioned).", no_args_is_help=True)
app.add_typer(templates_app, name="templates")


class StatsFormat(StrEnum):
    json = "json"
    csv = "csv"


class GroupBy(StrEnum):
    enterprise = "enterprise"
    industry = "industry"
    region = "region"
    day = "day"
    week = "week"
    month = "month"


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"{option}: {text!r} is not a date (YYYY-MM-DD)") from exc


@app.command("import-points")
def import_points_command(
    file: Path = typer.Argument(..., help="CSV or XLSX."),
) -> None:
    """Create or update control points; all or nothing.

    Columns: enterprise_code,point_code,type,name,longitude,latitude,schedule
    (schedule: daily, weekly, monthly or a cron expression, China time); optional crs
    (wgs84, gcj02, bd09) and working_days_only (yes/no).
    Any bad row: one line per problem on stderr, exit status 1, database unchanged.
    """
    with container() as box, box.transaction() as session:
        summary = import_points(session=session, path=file, now=box.clock.now(), actor=ACTOR)
    out.print(
        f"imported {summary.created + summary.updated} control points "
        f"({summary.created} created, {summary.updated} updated)"
    )


@app.command("generate")
def generate(
    until: str | None = typer.Option(
        None, "--until", help="Last China date to create tasks for (YYYY-MM-DD; default today)."
    ),
) -> None:
    """Create the due inspection tasks up to a date; running it again creates nothing twice."""
    with container() as box:
        now = box.clock.now()
        last = _date(until, "--until") or china_date(now)
        with box.transaction() as session:
            report = generate_tasks(
                session=session, until=last, now=now, calendar=stored_calendar(session)
            )
    out.print(str(report))


@app.command("stats")
def stats(
    date_from: str | None = typer.Option(None, "--from", help="First due date (YYYY-MM-DD)."),
    date_to: str | None = typer.Option(None, "--to", help="Last due date (YYYY-MM-DD)."),
    format: StatsFormat = typer.Option(StatsFormat.json, "--format", help="json or csv."),
    by: GroupBy | None = typer.Option(None, "--by", help="Also give figures per group."),
    region: str | None = typer.Option(None, "--region", help="Region code (with sub-regions)."),
    industry: str | None = typer.Option(None, "--industry", help="GB/T 4754 code prefix."),
    enterprise: str | None = typer.Option(None, "--enterprise", help="Credit code."),
) -> None:
    """Enterprises and control points under management; tasks sent, completed, on time,
    late, overdue, open and failed — as one JSON object (or CSV rows)."""
    with container() as box:
        query = figures.StatsQuery(
            date_from=_date(date_from, "--from"),
            date_to=_date(date_to, "--to"),
            region_code=region,
            industry=industry,
            enterprise_code=enterprise,
            group_by=by.value if by else None,
        )
        if query.date_from and query.date_to and query.date_from > query.date_to:
            raise InputError("--from: after --to")
        with box.transaction() as session:
            result = figures.figures(session=session, query=query, now=box.clock.now())
    if format is StatsFormat.json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(figures.to_csv(result))


@templates_app.command("import")
def templates_import(
    file: Path = typer.Argument(..., help='JSON: [{"point_type", "name", "items": [...]}].'),
) -> None:
    """Issue checklist versions from JSON; a template whose items did not change keeps its
    version. All or nothing."""
    with container() as box:
        entries = read_templates_file(file)
        with box.transaction() as session:
            issued = import_templates(
                session=session, entries=entries, now=box.clock.now(), actor=ACTOR
            )
            lines = [
                f"{i.version.template.point_type.code}: version {i.version.version}"
                + (" (new)" if i.created else " (unchanged)")
                for i in issued
            ]
    for line in lines:
        out.print(line)


@templates_app.command("list")
def templates_list() -> None:
    """Every point type with its checklist's current version and items."""
    with container() as box, box.transaction() as session:
        ensure_defaults(session=session, now=box.clock.now())
        for point_type in session.scalars(select(PointType).order_by(PointType.code)):
            version = current_version(session=session, point_type_id=point_type.id)
            codes = ", ".join(item["code"] for item in version.items)
            out.print(f"{point_type.code}\t{point_type.name}\tv{version.version}\t{codes}")
