"""``ecoradar stats``: discovery statistics."""

from __future__ import annotations

import json
import sys
from datetime import date
from enum import StrEnum

import typer

from ecoradar.cli.common import container
from ecoradar.core.errors import InputError
from ecoradar.stats import service

app = typer.Typer(help="Discovery statistics.", no_args_is_help=True)


class StatsFormat(StrEnum):
    json = "json"
    csv = "csv"


class GroupBy(StrEnum):
    channel = "channel"
    region = "region"
    channel_region = "channel_region"


class Level(StrEnum):
    province = "province"
    city = "city"
    county = "county"
    township = "township"
    grid = "grid"


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"{option}: {text!r} is not a date (YYYY-MM-DD)") from exc


@app.command("clues")
def clues(
    date_from: str | None = typer.Option(None, "--from", help="First China day (YYYY-MM-DD)."),
    date_to: str | None = typer.Option(None, "--to", help="Last China day (YYYY-MM-DD)."),
    format: StatsFormat = typer.Option(StatsFormat.json, "--format", help="json or csv."),
    by: GroupBy = typer.Option(GroupBy.channel, "--by", help="channel, region or both."),
    level: Level | None = typer.Option(
        None, "--level", help="Region rows roll up to this level (default county)."
    ),
    region: str | None = typer.Option(None, "--region", help="Region code (with sub-regions)."),
) -> None:
    """Clues received per channel (or region): clues, problems opened, verified share,
    duplicates merged, median hours to acceptance and to closure, rewards paid — one JSON
    object, or CSV rows with the total last."""
    with container() as box:
        since, until = service.day_bounds(_date(date_from, "--from"), _date(date_to, "--to"))
        with box.transaction() as session:
            region_ids = (
                service.scope_region(session=session, principal=None, code=region)
                if region
                else None
            )
            stats = service.clue_stats(
                session=session,
                region_ids=region_ids,
                since=since,
                until=until,
                group_by=by.value,
                level=level.value if level else None,
            )
    if format is StatsFormat.json:
        sys.stdout.write(json.dumps(service.as_json(stats), ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(service.to_csv(stats))
