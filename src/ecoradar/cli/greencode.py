"""``ecoradar greencode``: recompute every code now, export the codes (jsonl or csv)."""

from __future__ import annotations

import csv
import io
import json
import sys
from contextlib import ExitStack
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from ecoradar.cli.common import container, out
from ecoradar.greencode import service

ACTOR = "cli:ecoradar"
CSV_FIELDS = ("enterprise_code", "colour", "score", "computed_at", "indicators", "reasons")

app = typer.Typer(help="The enterprise environmental green code.", no_args_is_help=True)


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


@app.command("recompute")
def recompute() -> None:
    """Recompute every enterprise's code now and print a summary by colour (replayed data is
    scored at its own time: the monitoring windows end at the newest stored hour)."""
    with container() as box:
        model = service.model_for(box.settings)
        report = service.recompute_all(box, model=model, actor=ACTOR)
        out.print(report.summary(model.scheme.colours))
        if report.data_as_of is not None:
            out.print(f"monitoring data as of {report.data_as_of.isoformat()}")
        out.print(f"model {model.version} ({model.scheme.name} colours)")


def _csv_line(record: dict[str, Any]) -> str:
    buffer = io.StringIO()
    row = dict(record)
    row["indicators"] = json.dumps(record["indicators"], ensure_ascii=False)
    row["reasons"] = json.dumps(record["reasons"], ensure_ascii=False)
    csv.DictWriter(buffer, CSV_FIELDS, lineterminator="\n").writerow(row)
    return buffer.getvalue()


@app.command("export")
def export(
    format: Annotated[
        ExportFormat, typer.Option("--format", help="jsonl (default) or csv")
    ] = ExportFormat.jsonl,
    output: Annotated[
        Path | None, typer.Option("--output", help="write to this file instead of stdout")
    ] = None,
) -> None:
    """One enterprise per line: enterprise_code, colour, score, computed_at, indicators
    (name -> score; csv: JSON text), reasons (texts; empty for green)."""
    with container() as box, ExitStack() as stack:
        target: IO[str] = (
            stack.enter_context(output.open("w", encoding="utf-8", newline=""))
            if output is not None
            else sys.stdout
        )
        if format is ExportFormat.csv:
            target.write(",".join(CSV_FIELDS) + "\n")
        with box.reading() as session:
            for record in service.export_rows(session=session):
                if format is ExportFormat.csv:
                    target.write(_csv_line(record))
                else:
                    target.write(json.dumps(record, ensure_ascii=False) + "\n")
        target.flush()
