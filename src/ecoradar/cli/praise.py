"""``ecoradar praise``: a month's rankings of a region, and a praise notice's certificate."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from ecoradar.cli.common import container, out
from ecoradar.core.errors import NotFoundError
from ecoradar.praise import render, rules, service
from ecoradar.praise.models import PraiseNotice
from ecoradar.praise.schemas import RankingsRead, rankings_csv

app = typer.Typer(help="Praise and incentives: rankings and certificates.", no_args_is_help=True)


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def _hours(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


@app.command("rankings")
def rankings(
    month: Annotated[str, typer.Option("--month", help="The month, YYYY-MM (China calendar).")],
    region: Annotated[
        str | None, typer.Option("--region", help="Region code (default: the top region).")
    ] = None,
    format: Annotated[Format, typer.Option("--format", help="table, json or csv.")] = Format.table,
    masked: Annotated[
        bool, typer.Option("--masked", help="Reporters' names masked, as the public may see.")
    ] = False,
) -> None:
    """The month's ranking of the grid workers of a region (and below) and of the reporters
    about its problems: figures, score and rank."""
    chosen = rules.parse_month(month, "--month")
    with container() as box, box.reading() as session:
        area = service.region_in_scope(session, None, region)
        table = service.compute_rankings(
            session=session, month=chosen, region=area, secret=box.settings.secret_key
        )
    if format is Format.json:
        body = RankingsRead.of(table, names=not masked).model_dump(mode="json")
        sys.stdout.write(json.dumps(body, ensure_ascii=False) + "\n")
        return
    if format is Format.csv:
        sys.stdout.write(rankings_csv(table, names=not masked))
        return
    out.print(f"{table.month} {table.region.code} {table.region.name}")
    out.print("grid workers: rank score patrols reports found first share hours name")
    for r in table.workers:
        m = r.metrics
        out.print(
            f"  {r.rank:>3} {r.score:>6g} {m.patrols_done:>4} {m.reports:>4} "
            f"{m.problems_found:>4} {m.found_first:>4} {_share(m.verified_share):>5} "
            f"{_hours(m.median_hours_to_verify):>6} {r.person.name}"
        )
    out.print("reporters: rank score reports confirmed first name")
    for r in table.reporters:
        m = r.metrics
        name = r.person.masked if masked else (r.person.name or r.person.masked)
        out.print(
            f"  {r.rank:>3} {r.score:>6g} {m.reports:>4} {m.problems_found:>4} "
            f"{m.found_first:>4} {name}"
        )


@app.command("pdf")
def pdf(
    number: Annotated[str, typer.Argument(help="The notice's number, e.g. BY-2026-0001.")],
    output: Annotated[Path, typer.Option("--output", help="The PDF file to write.")],
    lang: Annotated[str, typer.Option("--lang", help="zh_CN (default) or en")] = "zh_CN",
) -> None:
    """Write a praise notice's certificate as a PDF."""
    with container() as box, box.reading() as session:
        notice = session.scalar(select(PraiseNotice).where(PraiseNotice.number == number))
        if notice is None:
            raise NotFoundError(f"praise notice {number} not found")
        region = service.notice_region(session, notice)
        data = render.pdf(notice, region.name if region else "", lang)
    output.write_bytes(data)
    out.print(f"wrote {output} ({len(data)} bytes)")
