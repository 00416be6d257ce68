"""Anchoring the audit log: checkpoints of its head written outside the database, and checking
the log against them.

The hash chain alone cannot show that entries were removed from the end, or that the log was
rewritten from some entry on with every later hash recomputed: the result is a sound chain.
A checkpoint (:mod:`ecoradar.audit.checkpoints`) records the count and head at a time, keyed
with the secret key, in a file under ``ECORADAR_HOME``; :func:`verify_anchored` then requires
that the log still has at least that many entries and that the entry at that count still has
that hash.

When checkpoints are written:

* :func:`startup_checkpoint` on every start of ``ecoradar serve``;
* :func:`scheduled_checkpoint` from the scheduler, at most every :data:`CHECKPOINT_INTERVAL`
  and only when the log grew;
* ``ecoradar audit checkpoint`` on demand (it prints the line too, to send elsewhere).

Each new checkpoint extends the last good one: the entries after it are verified first, so a
checkpoint is never written over a log that no longer matches the previous one. The first
checkpoint of a file pins the head as it is, without reading the whole log (which would hold up
the start of ``serve`` on a large log); ``ecoradar audit verify`` checks the chain before it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from ecoradar.audit import chain, checkpoints, service
from ecoradar.audit.checkpoints import Checkpoint, Problem
from ecoradar.bootstrap import Container
from ecoradar.config import Settings
from ecoradar.core.errors import ConflictError

log = logging.getLogger("ecoradar.audit")

CHECKPOINT_INTERVAL = timedelta(minutes=10)
"""Least time between two scheduled checkpoints: what someone who rewrites the log between
two of them can hide is at most this much of its newest part (until the next one fails)."""


class AnchorMismatch(ConflictError):
    """The log does not match its last checkpoint, so no new checkpoint is written over it."""


def checkpoint_path(settings: Settings) -> Path:
    """``$ECORADAR_HOME/audit-checkpoints.jsonl``."""
    return settings.home / checkpoints.FILE_NAME


def write_checkpoint(box: Container, *, path: Path | None = None) -> Checkpoint:
    """Append a checkpoint of the log's head now to ``path`` (default: under the home).

    Raises :class:`AnchorMismatch` when the log no longer matches the last good checkpoint of
    the file, and ``OSError`` when the file cannot be written."""
    path = path or checkpoint_path(box.settings)
    secret = box.settings.secret_key
    last = checkpoints.newest(path, secret)
    with box.reading() as session:
        count, head = _checked_head(session, last)
    checkpoint = checkpoints.sign(secret, at=box.clock.now(), count=count, head=head)
    checkpoints.append(path, checkpoint)
    return checkpoint


def checkpoint_if_due(
    box: Container, *, every: timedelta = CHECKPOINT_INTERVAL, path: Path | None = None
) -> Checkpoint | None:
    """:func:`write_checkpoint` when the newest checkpoint is ``every`` old or more and the
    log grew since; ``None`` when none was due."""
    path = path or checkpoint_path(box.settings)
    last = checkpoints.newest(path, box.settings.secret_key)
    if last is not None and timedelta(0) <= box.clock.now() - last.at < every:
        return None  # (a checkpoint from the future, after the clock was set back, is due)
    if last is not None:
        with box.reading() as session:
            if service.head(session=session) == (last.count, last.head):
                return None
    return write_checkpoint(box, path=path)


def startup_checkpoint(box: Container) -> str:
    """:func:`write_checkpoint` for ``ecoradar serve``: never raises; what happened, as a line
    to print (also logged, with the checkpoint itself)."""
    path = checkpoint_path(box.settings)
    try:
        written = write_checkpoint(box, path=path)
    except Exception as exc:  # noqa: BLE001 - serving goes on; the failure is told and logged
        _failed(path, exc)
        return f"audit checkpoint NOT written to {path}: {exc} (run `ecoradar audit verify`)"
    log.info("audit checkpoint: %s", written.line())
    return f"audit log anchored: checkpoint of {written.describe()} in {path}"


def scheduled_checkpoint(box: Container) -> Checkpoint | None:
    """:func:`checkpoint_if_due` for the scheduler: never raises (a failure is logged, and
    tried again at the next run)."""
    path = checkpoint_path(box.settings)
    try:
        written = checkpoint_if_due(box, path=path)
    except Exception as exc:  # noqa: BLE001 - the scheduler's other work goes on
        _failed(path, exc)
        return None
    if written is not None:
        log.info("audit checkpoint: %s", written.line())
    return written


def _failed(path: Path, exc: Exception) -> None:
    expected = isinstance(exc, AnchorMismatch | OSError)  # else a bug or the database: traceback
    log.error("audit checkpoint NOT written to %s: %s", path, exc, exc_info=not expected)


@dataclass(frozen=True)
class AnchoredResult:
    """The chain's verification, and the checkpoints against it: ``matched`` were found in
    the log, ``unchecked`` lie beyond a break of the chain, ``problems`` are bad lines and
    checkpoints the log no longer matches."""

    chain: chain.VerifyResult
    matched: int
    unchecked: int
    problems: list[Problem]
    newest: Checkpoint | None

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.problems


def verify_anchored(
    *,
    session: Session,
    files: Sequence[Path],
    secret: str,
    batch: int = service.DEFAULT_BATCH,
    expect_head: str | None = None,
) -> AnchoredResult:
    """Verify the whole chain and every checkpoint of ``files``: the log must still have at
    least each checkpoint's count of entries, and the entry at that count its hash."""
    found: list[tuple[str, Checkpoint]] = []
    problems: list[Problem] = []
    for path in files:
        loaded = checkpoints.load(path, secret)
        found += loaded.checkpoints
        problems += loaded.problems
    wanted = {checkpoint.count for _, checkpoint in found}
    heads: dict[int, str] = {0: chain.GENESIS}
    stream = _noting(service.entries(session=session, batch=batch), wanted, heads)
    result = chain.verify(stream, expect_head=expect_head)
    matched = unchecked = 0
    for place, checkpoint in found:
        problem = _mismatch(checkpoint, result, heads)
        if problem is not None:
            problems.append(Problem(place, problem))
        elif checkpoint.count > result.count:
            unchecked += 1
        else:
            matched += 1
    newest = max((c for _, c in found), key=lambda c: (c.count, c.at), default=None)
    return AnchoredResult(result, matched, unchecked, problems, newest)


def _mismatch(
    checkpoint: Checkpoint, result: chain.VerifyResult, heads: dict[int, str]
) -> str | None:
    when = checkpoint.describe()
    if checkpoint.count > result.count:
        if not result.ok:
            return None  # beyond the break the chain reports: not checked
        return (
            f"the log has {result.count} entries, fewer than the checkpoint of {when}: "
            "entries were removed from the end"
        )
    stored = heads.get(checkpoint.count)
    if stored != checkpoint.head:
        return (
            f"{_entry(checkpoint.count, stored)}, the checkpoint of {when} recorded "
            f"{checkpoint.head}: the log was rewritten at or before entry {checkpoint.count}"
        )
    return None


def _entry(count: int, stored: str | None) -> str:
    return f"entry {count} is missing" if stored is None else f"entry {count} has hash {stored}"


def _noting(
    entries: Iterable[chain.EntryData], wanted: set[int], heads: dict[int, str]
) -> Iterator[chain.EntryData]:
    for entry in entries:
        if entry.id in wanted:
            heads[entry.id] = entry.hash
        yield entry


def _checked_head(session: Session, last: Checkpoint | None) -> tuple[int, str]:
    """The log's count and head, once the entries after ``last`` are verified (the first
    checkpoint pins the head as it is: ``ecoradar audit verify`` checks the chain before it)."""
    count, head = service.head(session=session)
    if last is None:
        return count, head
    when = last.describe()
    if count < last.count:
        raise AnchorMismatch(
            f"the audit log has {count} entries, fewer than the last checkpoint of {when}: "
            "entries were removed from the end"
        )
    stored = service.hash_at(session=session, entry_id=last.count)
    if stored != last.head:
        raise AnchorMismatch(
            f"{_entry(last.count, stored)}, the last checkpoint of {when} recorded "
            f"{last.head}: the log was rewritten at or before entry {last.count}"
        )
    result = chain.verify(
        service.entries(session=session, after=last.count, upto=count),
        start_count=last.count,
        start_head=last.head,
    )
    if not result.ok:
        failure = result.failure
        assert failure is not None
        where = f" at entry {failure.entry_id}" if failure.entry_id is not None else ""
        raise AnchorMismatch(f"the audit log is broken{where}: {failure.problem}")
    return result.count, result.head
