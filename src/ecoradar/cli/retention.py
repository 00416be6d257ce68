"""``ecoradar measurements prune``: retention and downsampling of monitoring data."""

from __future__ import annotations

import json
import sys

import typer

from ecoradar.cli.common import container, out
from ecoradar.monitoring import retention


def prune(
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        help="Report what would be created, derived and removed; change nothing.",
    ),
    as_json: bool = typer.Option(False, "--json", help="The report as one JSON object."),
) -> None:
    """Delete real-time, minute and raw data older than ECORADAR_KEEP_RTD_DAYS,
    ECORADAR_KEEP_MINUTE_MONTHS and ECORADAR_KEEP_RAW_DAYS (hourly values derived first where
    an hour has none), and create the coming time partitions (PostgreSQL). The scheduler does
    the same on every pass."""
    with container() as box:
        report = retention.prune(box, dry_run=dry_run)
    if as_json:
        sys.stdout.write(json.dumps(report.as_dict(), indent=2) + "\n")
    else:
        out.print(str(report))
