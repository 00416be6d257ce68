"""``ecoradar fivestep``: five-step campaigns — start one, list them, show or export a
campaign's records with the state of each step. Changes act as a named officer (``--as``),
within that officer's scope, and are audited as theirs."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from ecoradar.auth import service as accounts
from ecoradar.auth.principal import Principal
from ecoradar.cli.common import container, out
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError
from ecoradar.fivestep import service
from ecoradar.fivestep.models import STEPS, FiveStepCampaign, FiveStepRecord

app = typer.Typer(help="The five-step check: campaigns and each enterprise's steps.")

ADMIN = Principal(kind="token", user_id=None, username="cli", role="admin")
"""What a reading command acts as: the command line sees everything."""


class Format(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


def _as(session: Session, username: str) -> Principal:
    user = accounts.user_by_username(session=session, username=username)
    if user.role not in ("admin", "officer"):
        raise InputError(f"--as: {username} is a {user.role}, not an officer")
    return accounts.principal_of(session=session, user=user)


@app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="The campaign's name.")],
    first: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD, China).")],
    last: Annotated[str, typer.Option("--to", help="Last day (YYYY-MM-DD, China).")],
    region: Annotated[str, typer.Option("--region", help="Region code.")],
    officer: Annotated[str, typer.Option("--as", help="The officer's username.")],
    enterprise: Annotated[
        list[str] | None, typer.Option("--enterprise", help="An enterprise code (repeat).")
    ] = None,
    industry: Annotated[
        list[str] | None, typer.Option("--industry", help="An industry code (repeat).")
    ] = None,
) -> None:
    """Start a campaign over enterprises chosen by code, or by industry, in a region."""
    try:
        start, end = date.fromisoformat(first), date.fromisoformat(last)
    except ValueError as exc:
        raise typer.BadParameter("--from and --to are days (YYYY-MM-DD)") from exc
    with container() as box, box.transaction() as session:
        campaign = service.create_campaign(
            session=session, principal=_as(session, officer), name=name, period_start=start,
            period_end=end, region_code=region, enterprise_codes=enterprise or [],
            industries=industry or [], now=box.clock.now(),
        )  # fmt: skip
        out.print(
            f"campaign {campaign.id}: {escape(campaign.name)}, {len(campaign.records)} "
            f"enterprise(s), {start} .. {end}"
        )


@app.command("list")
def list_campaigns() -> None:
    """Every campaign, newest period first."""
    with container() as box, box.reading() as session:
        table = Table("id", "name", "period", "region", "enterprises", "complete")
        for c in service.list_campaigns(session=session, principal=ADMIN):
            done = sum(r.state == "complete" for r in c.records)
            table.add_row(
                str(c.id), escape(c.name), f"{c.period_start} .. {c.period_end}",
                c.region.code, str(len(c.records)), str(done),
            )  # fmt: skip
        out.print(table)


def record_row(campaign: FiveStepCampaign, record: FiveStepRecord) -> dict[str, Any]:
    """One record as exported: the campaign, the enterprise, the record's and steps' states."""
    row: dict[str, Any] = {
        "campaign_id": campaign.id,
        "campaign": campaign.name,
        "record_id": record.id,
        "enterprise_code": record.enterprise.code,
        "enterprise_name": record.enterprise.name,
        "state": record.state,
        "updated_at": record.updated_at.astimezone(CHINA_TZ).isoformat(),
    }
    for step in record.steps:
        row[step.step] = step.state if step.state != "done" else f"done:{step.outcome}"
    return row


@app.command("show")
def show(campaign_id: Annotated[int, typer.Argument(help="The campaign's id.")]) -> None:
    """A campaign's enterprises and the state of each of their five steps."""
    with container() as box, box.reading() as session:
        campaign = service.get_campaign(session=session, principal=ADMIN, campaign_id=campaign_id)
        out.print(
            f"{escape(campaign.name)}: {campaign.period_start} .. {campaign.period_end}, "
            f"{escape(campaign.region.name)}"
        )
        for r in campaign.records:
            row = record_row(campaign, r)
            steps = "  ".join(f"{s}={row[s]}" for s in STEPS)
            out.print(
                f"record {r.id}  {r.enterprise.code} {escape(r.enterprise.name)}  [{r.state}]"
                f"\n  {steps}"
            )


@app.command("export")
def export(
    campaign_id: Annotated[int, typer.Argument(help="The campaign's id.")],
    format: Annotated[Format, typer.Option("--format", help="jsonl or csv.")] = Format.jsonl,
) -> None:
    """One line per enterprise: the record's and each step's state (``done:<outcome>``)."""
    with container() as box, box.reading() as session:
        campaign = service.get_campaign(session=session, principal=ADMIN, campaign_id=campaign_id)
        rows = [record_row(campaign, r) for r in campaign.records]
    if format == Format.jsonl:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    buffer = io.StringIO()
    fields = [
        "campaign_id", "campaign", "record_id", "enterprise_code", "enterprise_name", "state",
        "updated_at", *STEPS,
    ]  # fmt: skip
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    sys.stdout.write(buffer.getvalue())
