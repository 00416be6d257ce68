"""``ecoradar scheduler`` and ``ecoradar calendar``: the register's timekeeping."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy import delete, select

from ecoradar.audit.service import record as audit
from ecoradar.cli.common import container, out
from ecoradar.core.errors import InputError
from ecoradar.problems.calendar import parse_calendar_csv
from ecoradar.problems.models import CalendarDay
from ecoradar.problems.scheduler import run_once

scheduler_app = typer.Typer(
    help="Deadlines, escalation, alerts into findings.", no_args_is_help=True
)
calendar_app = typer.Typer(
    help="The working-day calendar: public holidays and worked weekend days.", no_args_is_help=True
)


@scheduler_app.command("run-once")
def scheduler_run_once() -> None:
    """Turn new monitoring alerts into findings, flag overdue problems and escalate them."""
    with container() as box:
        report = run_once(box)
    out.print(str(report))


@calendar_app.command("import")
def calendar_import(
    file: Path = typer.Argument(
        ..., help="CSV with columns date,kind,name (kind holiday|workday)."
    ),
    replace: bool = typer.Option(
        False, "--replace", help="Drop every stored day first (otherwise days are added/updated)."
    ),
) -> None:
    """Load public holidays and worked weekend days (调休); all-or-nothing."""
    with container() as box:
        try:
            text = file.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise InputError(f"{file}: cannot read: {exc.strerror or exc}") from exc
        except UnicodeDecodeError as exc:
            raise InputError(f"{file}: not UTF-8 text") from exc
        calendar = parse_calendar_csv(text, str(file))
        days = dict.fromkeys(calendar.holidays, "holiday")
        days |= dict.fromkeys(calendar.extra_workdays, "workday")
        with box.transaction() as session:
            if replace:
                session.execute(delete(CalendarDay))
            for day, kind in sorted(days.items()):
                row = session.get(CalendarDay, day)
                name = calendar.names.get(day, "")
                if row is None:
                    session.add(CalendarDay(day=day, kind=kind, name=name))
                else:
                    row.kind, row.name = kind, name
            audit(
                session=session,
                at=box.clock.now(),
                actor="cli:ecoradar",
                action="calendar.import",
                entity_type="calendar",
                entity_id=file.name[:100] or "calendar",
                after={"days": len(days), "replace": replace},
            )
    out.print(
        f"calendar: {len(calendar.holidays)} holiday(s), {len(calendar.extra_workdays)} workday(s)"
    )


@calendar_app.command("list")
def calendar_list() -> None:
    """The stored exceptions to the Monday-Friday week."""
    with container() as box, box.transaction() as session:
        rows = list(session.scalars(select(CalendarDay).order_by(CalendarDay.day)))
        table = Table("date", "kind", "name")
        for row in rows:
            table.add_row(row.day.isoformat(), row.kind, row.name)
    out.print(table)
