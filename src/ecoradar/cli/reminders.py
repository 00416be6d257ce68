"""``ecoradar reminders``: generate the reminders due, export them, write one as a PDF."""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.cli.common import container, out
from ecoradar.core.errors import InputError, NotFoundError
from ecoradar.reminders import export as exporting
from ecoradar.reminders import render, setup
from ecoradar.reminders.config import config_for
from ecoradar.reminders.generate import GenerationReport
from ecoradar.reminders.generate import generate as generate_reminders
from ecoradar.reminders.models import Reminder
from ecoradar.reminders.notify import from_config
from ecoradar.reminders.periodic import default_as_of

ACTOR = "cli:ecoradar"
CHINA = timezone(timedelta(hours=8))

app = typer.Typer(help="Enterprise environment service reminders.", no_args_is_help=True)


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


def _moment(text: str) -> datetime:
    """ISO 8601; a time without an offset is China Standard Time (UTC+8)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"--at {text!r} is not an ISO 8601 date or time") from exc
    return value if value.tzinfo is not None else value.replace(tzinfo=CHINA)


@app.command("generate")
def generate(
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="Evaluate as of this time (ISO 8601; no offset = UTC+8). Default: now, or for "
            "replayed data the end of the newest stored hour.",
        ),
    ] = None,
) -> None:
    """Evaluate every trigger and create the reminders due (drafts, or issued where every
    issue's trigger class goes out automatically). The same time again creates nothing."""
    with container() as box:
        config = config_for(box.settings)
        now = box.clock.now()

        def work(session: Session) -> GenerationReport:
            as_of = _moment(at) if at else default_as_of(session, now)
            return generate_reminders(
                session=session,
                config=config,
                as_of=as_of,
                now=now,
                actor=ACTOR,
                notifier=from_config(config.notify),
            )

        report = box.write(work, what="service reminders")
    out.print(f"as of {report.as_of.isoformat() if report.as_of else ''}: {report}")
    for number in report.created:
        out.print(f"  {number} {'issued' if number in report.issued else 'draft'}")


@app.command("export")
def export(
    format: Annotated[
        ExportFormat, typer.Option("--format", help="jsonl (default) or csv")
    ] = ExportFormat.jsonl,
) -> None:
    """One reminder per line: number, enterprise_code, status, created_at, issues."""
    with container() as box, box.reading() as session:
        if format is ExportFormat.csv:
            sys.stdout.write(exporting.csv_header())
        for item in exporting.records(session):
            line = exporting.csv_line(item) if format is ExportFormat.csv else None
            sys.stdout.write(line or exporting.jsonl_line(item))


@app.command("pdf")
def pdf(
    number: Annotated[str, typer.Argument(help="The reminder's number, e.g. ZS-2026-0001.")],
    output: Annotated[Path, typer.Option("--output", help="The PDF file to write.")],
    lang: Annotated[str, typer.Option("--lang", help="zh_CN (default) or en")] = "zh_CN",
) -> None:
    """Write one reminder as a PDF."""
    with container() as box, box.reading() as session:
        reminder = session.scalar(select(Reminder).where(Reminder.number == number))
        if reminder is None:
            raise NotFoundError(f"reminder {number} not found")
        data = render.pdf(reminder, lang)
    output.write_bytes(data)
    out.print(f"wrote {output} ({len(data)} bytes)")


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"{option}: {text!r} is not a date (YYYY-MM-DD)") from exc


@app.command("standard-add")
def standard_add(
    industry: Annotated[str, typer.Option(help="GB/T 4754 industry code or its prefix.")],
    standard: Annotated[str, typer.Option(help="The standard, e.g. GB 13271-2026.")],
    effective: Annotated[str, typer.Option(help="The day it takes effect (YYYY-MM-DD).")],
    changes: Annotated[str, typer.Option(help="What changes (Chinese).")],
    changes_en: Annotated[str, typer.Option(help="What changes (English).")] = "",
) -> None:
    """Record a stricter standard taking effect for an industry (``standard_change``)."""
    with container() as box, box.transaction() as session:
        setup.add_standard(
            session=session, industry=industry, standard=standard,
            effective=_day(effective, "--effective"), changes=changes, changes_en=changes_en,
            now=box.clock.now(), actor=ACTOR,
        )  # fmt: skip
    out.print(f"standard {standard} for industry {industry} from {effective} recorded")


@app.command("campaign-add")
def campaign_add(
    name: Annotated[str, typer.Option(help="The campaign's name.")],
    starts: Annotated[str, typer.Option(help="First day (YYYY-MM-DD).")],
    ends: Annotated[str, typer.Option(help="Last day (YYYY-MM-DD).")],
    text: Annotated[str, typer.Option(help="What the enterprises are asked to do (Chinese).")],
    text_en: Annotated[str, typer.Option(help="The same in English.")] = "",
    industry: Annotated[
        list[str] | None, typer.Option(help="Industry code or prefix (repeat; none: all).")
    ] = None,
    region: Annotated[
        list[str] | None, typer.Option(help="Region code (repeat; none: everywhere).")
    ] = None,
) -> None:
    """Define a seasonal campaign (``campaign``), e.g. summer VOC control."""
    with container() as box, box.transaction() as session:
        setup.add_campaign(
            session=session, name=name, starts=_day(starts, "--starts"),
            ends=_day(ends, "--ends"), text=text, text_en=text_en,
            industries=industry or [], region_codes=region or [], now=box.clock.now(),
            actor=ACTOR,
        )  # fmt: skip
    out.print(f"campaign {name!r} from {starts} to {ends} defined")
