"""``ecoradar ingest`` (replay captured packets) and ``ecoradar measurements`` (query, export)."""

from __future__ import annotations

import csv
import json
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import IO

import typer
from rich.table import Table

from ecoradar.cli.common import container, err, out, progress
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError
from ecoradar.detection.depth_pass import run_depth
from ecoradar.hj212.gateway_process import prepare_process
from ecoradar.monitoring import pipeline, service
from ecoradar.monitoring.models import VALUE_FIELDS

app = typer.Typer(
    help="Stored monitoring data: export, unknown devices, counters.", no_args_is_help=True
)

EXPORT_FIELDS = (
    "mn",
    "factor",
    "kind",
    "data_time",
    *VALUE_FIELDS,
    "flag",
    "received_at",
    "derived",
)


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


def parse_time(text: str | None, option: str) -> datetime | None:
    """ISO 8601; a time without an offset is China Standard Time (UTC+8)."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"{option} {text!r} is not an ISO 8601 date or time") from exc
    return value if value.tzinfo is not None else value.replace(tzinfo=CHINA_TZ)


class _Lines:
    """The packets of a capture, one per line; lines with no ``##`` at all (log timestamps,
    binary noise between packets) are not packets and are only counted."""

    def __init__(self) -> None:
        self.skipped = 0

    def read(self, handle: IO[bytes], name: str) -> Iterator[tuple[bytes, str]]:
        for number, line in enumerate(handle, start=1):
            frame = line.rstrip(b"\r\n")
            if b"##" in frame:
                yield frame, f"{name}:{number}"
            elif frame.strip():
                self.skipped += 1


def ingest(
    files: list[str] = typer.Argument(..., help="Files of packets, one per line; - for stdin."),
    batch: int = typer.Option(
        pipeline.DEFAULT_BATCH, min=1, max=100_000, help="Packets per write."
    ),
) -> None:
    """Replay captured HJ 212 packets through the gateway's path: validate, store, detect.

    Bad packets are counted by reason and never stop the run; an unreadable file stops it
    before anything is stored.
    """
    for name in files:
        if name != "-" and not Path(name).is_file():
            err.print(f"[red]error:[/] {name}: cannot be read (no such file)")
            raise typer.Exit(1)
    lines = _Lines()
    with container() as box, progress() as bar:
        intake = pipeline.Intake(box)
        prepare_process()  # the registry is loaded: freeze it out of the collector's walks
        summary = pipeline.IntakeSummary()
        began = time.perf_counter()
        for name in files:
            if name == "-":
                task = bar.add_task("stdin", total=None)
                parts = intake.run(
                    lines.read(sys.stdin.buffer, "stdin"),
                    batch_size=batch,
                    progress=partial(bar.advance, task),
                )
            else:
                path = Path(name)
                try:
                    with path.open("rb") as handle:
                        total = sum(1 for line in handle if b"##" in line)
                    handle = path.open("rb")
                except OSError as exc:
                    raise InputError(f"{name}: cannot be read: {exc.strerror}") from exc
                task = bar.add_task(path.name, total=total)
                with handle:
                    parts = intake.run(
                        lines.read(handle, path.name),
                        batch_size=batch,
                        progress=partial(bar.advance, task),
                    )
            _merge(summary, parts)
        took = time.perf_counter() - began
        depth = run_depth(box, force=True)  # clones and bunching over the complete days stored
    _report(summary)
    if not depth.idle:
        out.print(str(depth))
    if summary.packets:
        rate = summary.packets / took if took > 0 else float("inf")
        out.print(f"{summary.packets} packets in {took:.2f} s: {rate:,.0f} packets/s")
    if lines.skipped:
        out.print(f"lines without a packet (not archived): {lines.skipped}")


def _merge(summary: pipeline.IntakeSummary, part: pipeline.IntakeSummary) -> None:
    summary.packets += part.packets
    summary.rows_offered += part.rows_offered
    summary.rows_inserted += part.rows_inserted
    summary.bad_values += part.bad_values
    summary.outcomes.update(part.outcomes)
    summary.reasons.update(part.reasons)


def _report(summary: pipeline.IntakeSummary) -> None:
    table = Table("outcome", "packets", title=f"{summary.packets} packets")
    for outcome, count in sorted(summary.outcomes.items()):
        table.add_row(outcome, str(count))
    for reason, count in sorted(summary.reasons.items()):
        table.add_row(f"  reason: {reason}", str(count))
    out.print(table)
    out.print(
        f"values stored: {summary.rows_inserted}, already stored (retransmissions): "
        f"{summary.duplicates}, unreadable values: {summary.bad_values}"
    )


@app.command("export")
def export(
    mn: str = typer.Option(..., "--mn", help="The monitoring point's MN."),
    since: str | None = typer.Option(
        None, help="From this data time (ISO 8601; no offset = UTC+8)."
    ),
    until: str | None = typer.Option(None, help="Before this data time."),
    format: ExportFormat = typer.Option(ExportFormat.jsonl, "--format", help="jsonl or csv."),
) -> None:
    """Write a point's values: one row per factor, kind and data time, with the flag."""
    with container() as box, box.transaction() as session:
        rows = service.measurements(
            session=session,
            mn=mn,
            since=parse_time(since, "--since"),
            until=parse_time(until, "--until"),
        )
        stream = sys.stdout
        if format is ExportFormat.csv:
            writer = csv.DictWriter(stream, fieldnames=list(EXPORT_FIELDS), lineterminator="\n")
            writer.writeheader()
            for measurement in rows:
                writer.writerow(service.export_record(measurement, mn))
        else:
            for measurement in rows:
                stream.write(
                    json.dumps(service.export_record(measurement, mn), ensure_ascii=False) + "\n"
                )


@app.command("unknown-devices")
def unknown_devices() -> None:
    """MNs that sent packets but are not in the registry (kept in the archive, not dropped)."""
    with container() as box, box.transaction() as session:
        table = Table("MN", "packets", "first seen", "last seen", "last peer")
        for device in service.unknown_devices(session=session):
            table.add_row(
                device.mn,
                str(device.packets),
                device.first_seen.astimezone(CHINA_TZ).isoformat(),
                device.last_seen.astimezone(CHINA_TZ).isoformat(),
                device.last_peer,
            )
        out.print(table)


@app.command("counters")
def counters() -> None:
    """Packets received by outcome, by refusal reason and per device, as JSON."""
    with container() as box, box.transaction() as session:
        sys.stdout.write(json.dumps(service.counters(session=session), indent=2) + "\n")
