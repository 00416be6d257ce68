"""``ecoradar audit``: check the audit log's hash chain and its checkpoints, write a checkpoint,
read the log."""

from __future__ import annotations

import json
import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from ecoradar.audit import anchor, service
from ecoradar.audit.chain import VerifyResult
from ecoradar.audit.schemas import AuditEntryRead
from ecoradar.audit.service import AuditFilter
from ecoradar.cli.common import EXIT_REFUSED, container, err, out
from ecoradar.cli.monitoring import parse_time
from ecoradar.config import Settings
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError

app = typer.Typer(
    help="The audit log: verify its hash chain and checkpoints, write a checkpoint, list entries.",
    no_args_is_help=True,
)

HASH = re.compile(r"[0-9a-f]{64}")
MAX_PROBLEMS = 20
"""Checkpoint problems printed by verify (the rest are counted)."""
CHANGE_WIDTH = 120
"""Characters of before -> after shown per row of the table."""


class ListFormat(StrEnum):
    table = "table"
    jsonl = "jsonl"


@app.command("verify")
def verify(
    expect_head: str | None = typer.Option(
        None,
        "--expect-head",
        help="A head hash noted earlier (e.g. printed by a previous verify): it must still be "
        "in the chain, or entries were removed from the end or the log rewritten.",
    ),
    checkpoint_files: list[Path] | None = typer.Option(
        None,
        "--checkpoints",
        exists=True,
        dir_okay=False,
        readable=True,
        help="A checkpoint file to check instead of $ECORADAR_HOME/audit-checkpoints.jsonl, "
        "e.g. a copy kept on another host (repeat for several).",
    ),
    no_checkpoints: bool = typer.Option(
        False, "--no-checkpoints", help="Check the hash chain only, not the checkpoints."
    ),
    batch: int = typer.Option(
        service.DEFAULT_BATCH, min=1, max=1_000_000, help="Entries read per query."
    ),
) -> None:
    """Recompute the whole hash chain and check it against the checkpoints of its head. Prints
    `audit log OK: N entries, head HASH` and exits 0, or names the first bad entry (id,
    action, entity, time, what is wrong) and every checkpoint the log does not match, and
    exits 1."""
    expected = None if expect_head is None else expect_head.strip().lower()
    if expected is not None and not HASH.fullmatch(expected):
        raise typer.BadParameter("--expect-head must be 64 hexadecimal digits")
    if no_checkpoints and checkpoint_files:
        raise typer.BadParameter("--checkpoints and --no-checkpoints exclude each other")
    with container() as box:
        files = _checkpoint_files(box.settings, checkpoint_files or [], no_checkpoints)
        with box.reading() as session:
            result = anchor.verify_anchored(
                session=session,
                files=files,
                secret=box.settings.secret_key,
                batch=batch,
                expect_head=expected,
            )
    _report(result, files)


@app.command("checkpoint")
def checkpoint() -> None:
    """Write a checkpoint of the log's head (count and hash, keyed with the secret key) to
    $ECORADAR_HOME/audit-checkpoints.jsonl and print it as a JSON line, to keep elsewhere too.
    Refuses (exit 1) when the log no longer matches the last checkpoint."""
    with container() as box:
        path = anchor.checkpoint_path(box.settings)
        written = anchor.write_checkpoint(box, path=path)
    sys.stdout.write(written.line() + "\n")
    err.print(f"checkpoint of {written.describe()} appended to {escape(str(path))}")


def _checkpoint_files(settings: Settings, given: list[Path], skip: bool) -> list[Path]:
    if skip:
        return []
    if given:
        return given
    default = anchor.checkpoint_path(settings)
    if default.exists():
        return [default]
    err.print(
        f"note: no audit checkpoints at {escape(str(default))} yet (`ecoradar serve` and "
        "`ecoradar audit checkpoint` write them): the newest entries are not anchored"
    )
    return []


def _report(anchored: anchor.AnchoredResult, files: list[Path]) -> None:
    result = anchored.chain
    if anchored.ok:
        out.print(f"audit log OK: {result.count} entries, head {result.head}")
        if result.expected_at is not None:
            out.print(f"expected head found at entry {result.expected_at}")
        if files:
            newest = anchored.newest
            out.print(
                f"checkpoints OK: {anchored.matched} matched in "
                + ", ".join(escape(str(f)) for f in files)
                + (f" (newest: {newest.describe()})" if newest is not None else "")
            )
        return
    _chain_failure(result)
    for problem in anchored.problems[:MAX_PROBLEMS]:
        err.print(f"[red]checkpoint {escape(problem.place)}:[/] {escape(problem.message)}")
    if len(anchored.problems) > MAX_PROBLEMS:
        err.print(f"... and {len(anchored.problems) - MAX_PROBLEMS} more checkpoint problems")
    if anchored.unchecked:
        err.print(f"{anchored.unchecked} checkpoints lie beyond the break and were not checked")
    raise typer.Exit(EXIT_REFUSED)


def _chain_failure(result: VerifyResult) -> None:
    failure = result.failure
    if failure is None:
        return
    if failure.entry_id is None:
        err.print(f"[red]audit log BROKEN:[/] {escape(failure.problem)}")
    else:
        at = failure.at.astimezone(CHINA_TZ).isoformat() if failure.at else "?"
        err.print(
            f"[red]audit log BROKEN at entry {failure.entry_id}[/] "
            f"({escape(failure.action or '?')} on {escape(failure.entity or '?')} at {at}): "
            f"{escape(failure.problem)}"
        )
    err.print(f"{result.count} entries before it are sound; their head is {result.head}")


@app.command("list")
def list_entries(
    entity: str | None = typer.Option(
        None, "--entity", help="TYPE:ID (one record) or TYPE (every record of that type)."
    ),
    actor: str | None = typer.Option(None, "--actor", help="Exact actor, e.g. user:7:alice."),
    action: str | None = typer.Option(None, "--action", help="Exact action, e.g. problem.close."),
    since: str | None = typer.Option(
        None, "--since", help="Entries at or after this time (ISO 8601; no offset = UTC+8)."
    ),
    limit: int = typer.Option(50, "--limit", min=1, max=service.MAX_PAGE, help="At most N."),
    format: ListFormat = typer.Option(ListFormat.table, "--format", help="table or jsonl."),
) -> None:
    """The newest entries first (at most --limit), matching every filter given. jsonl writes
    one entry per line with its time in ISO 8601 (UTC+8) and its hashes."""
    with container() as box, box.reading() as session:
        entity_type, entity_id = _entity(entity)
        filters = AuditFilter(
            entity_type=entity_type,
            entity_id=entity_id,
            actor=actor,
            action=action,
            since=parse_time(since, "--since"),
        )
        page = service.search(session=session, filters=filters, per_page=limit)
        rows = [AuditEntryRead.of(entry) for entry in page.items]
    if format is ListFormat.jsonl:
        for row in rows:
            sys.stdout.write(row.model_dump_json() + "\n")
        return
    table = Table()
    for header in ("id", "at (UTC+8)", "actor", "action", "entity", "change", "reason"):
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(
            str(row.id),
            row.at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S"),
            escape(row.actor),
            escape(row.action),
            escape(f"{row.entity_type}:{row.entity_id}"),
            escape(_change(row.before, row.after)),
            escape(row.reason or ""),
        )
    out.print(table)
    out.print(f"{len(rows)} of {page.total} matching entries")


def _entity(text: str | None) -> tuple[str | None, str | None]:
    if text is None:
        return None, None
    kind, sep, key = text.partition(":")
    if not kind.strip() or (sep and not key.strip()):
        raise InputError(f"--entity {text!r} is not TYPE:ID or TYPE")
    return kind.strip(), key.strip() if sep else None


def _change(before: Any, after: Any) -> str:
    def show(value: Any) -> str:
        return "-" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    text = f"{show(before)} -> {show(after)}"
    return text if len(text) <= CHANGE_WIDTH else text[: CHANGE_WIDTH - 1] + "…"
