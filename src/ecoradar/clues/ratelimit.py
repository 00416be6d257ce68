"""Rate limits of the anonymous channels and of the tracking code, per client.

A client is a key the caller chooses: ``ip:1.2.3.4`` for a visitor, ``token:5`` for an API key,
``user:7`` for a logged-in account. Each use is an ``IntakeAttempt`` row, so the limit holds
across processes:

- **clues** (``public`` and ``open311`` together): at most ``clue_rate_limit_per_hour`` per
  client within any hour (``WINDOW``); ``submit_clue`` checks it and records the clue's attempt
  in the caller's transaction, and a refused clue is recorded by the caller in a transaction of
  its own (``record_refused``), so invalid reports count too. An Open311 API key with a limit of
  its own (``open311_keys``) has that limit instead (``limit_of``), and the reporters it relays
  are counted within it as clients ``token:<id>:<field>:<digest>`` (``check_reporter``);
- **tracking** (unknown tracking codes, feedback): at most ``clue_tracking_rate_limit_per_hour``,
  which makes guessing codes pointless on top of their 50 random bits.

A refusal is ``RateLimited`` with ``retry_after``, the seconds until the oldest counted use leaves
the window; refusals themselves are not counted, so a client that waits is let in again.
``judge`` is the pure rule; the rest reads and writes the table.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ecoradar.auth.errors import TooManyAttempts
from ecoradar.clues.models import ANONYMOUS_CHANNELS, IntakeAttempt
from ecoradar.clues.open311_keys import Open311KeyLimit
from ecoradar.core.errors import EcoRadarError

WINDOW = timedelta(hours=1)
KEPT = timedelta(days=1)
"""Attempts older than this are deleted when a new one is written."""
CLIENT_MAX = 80
CLUE_KINDS = ANONYMOUS_CHANNELS
TRACKING = "tracking"
_KEY = re.compile(r"token:(\d{1,9})")


class RateLimited(TooManyAttempts):
    """Too many uses by one client within the window (HTTP 429 with ``Retry-After``).

    A ``TooManyAttempts`` (the login limit's error), so the web app answers it with 429 and
    ``Retry-After`` wherever it is raised.
    """

    def __init__(self, retry_after: int, what: str = "clues") -> None:
        self.retry_after = retry_after
        EcoRadarError.__init__(
            self, f"too many {what} from this client: try again in {retry_after} seconds"
        )


def client_key(client: str) -> str:
    """The stored form of a client key (``unknown`` when empty)."""
    return (client.strip() or "unknown")[:CLIENT_MAX]


def judge(times: Sequence[datetime], *, limit: int, now: datetime) -> int:
    """Seconds until one more use is allowed, given the times of the uses within the window
    (0: allowed now)."""
    recent = sorted(t for t in times if t > now - WINDOW)
    if len(recent) < limit:
        return 0
    frees = recent[len(recent) - limit] + WINDOW
    return max(1, math.ceil((frees - now).total_seconds()))


def _times(session: Session, client: str, kinds: Sequence[str], now: datetime) -> list[datetime]:
    return list(
        session.scalars(
            select(IntakeAttempt.at).where(
                IntakeAttempt.client == client_key(client),
                IntakeAttempt.kind.in_(list(kinds)),
                IntakeAttempt.at > now - WINDOW,
            )
        )
    )


def check(
    *, session: Session, client: str, kinds: Sequence[str], limit: int, now: datetime, what: str
) -> None:
    """Raise ``RateLimited`` when ``client`` used ``kinds`` ``limit`` times within the window."""
    wait = judge(_times(session, client, kinds, now), limit=limit, now=now)
    if wait:
        raise RateLimited(wait, what)


def record(
    *, session: Session, client: str, kind: str, now: datetime, accepted: bool = True
) -> None:
    """Count one use (and prune old rows)."""
    session.execute(delete(IntakeAttempt).where(IntakeAttempt.at < now - KEPT))
    session.add(IntakeAttempt(client=client_key(client), kind=kind, at=now, accepted=accepted))
    session.flush()


def limit_of(*, session: Session, client: str, limit: int) -> int:
    """The clue limit of ``client``: its own for an Open311 key that has one, else ``limit``
    (the anonymous limit)."""
    matched = _KEY.fullmatch(client_key(client))
    if matched is None:
        return limit
    own = session.scalar(
        select(Open311KeyLimit.clues_per_hour).where(
            Open311KeyLimit.token_id == int(matched.group(1))
        )
    )
    return limit if own is None else own


def check_clue(*, session: Session, client: str, limit: int, now: datetime) -> None:
    """Raise ``RateLimited`` when ``client`` sent its limit of clues within the window:
    ``limit`` (the anonymous limit), or an Open311 key's own limit (``limit_of``)."""
    check(
        session=session,
        client=client,
        kinds=CLUE_KINDS,
        limit=limit_of(session=session, client=client, limit=limit),
        now=now,
        what="clues",
    )


def check_reporter(*, session: Session, client: str, limit: int, now: datetime) -> None:
    """Raise ``RateLimited`` when a reporter relayed by an Open311 key (``client``, from
    ``open311_keys.reporter_clients``) sent ``limit`` clues within the window."""
    check(
        session=session,
        client=client,
        kinds=CLUE_KINDS,
        limit=limit,
        now=now,
        what="clues of this reporter",
    )


def check_tracking(*, session: Session, client: str, limit: int, now: datetime) -> None:
    check(
        session=session,
        client=client,
        kinds=(TRACKING,),
        limit=limit,
        now=now,
        what="tracking requests",
    )


def record_refused(*, session: Session, client: str, kind: str, now: datetime) -> None:
    """Count a refused use; call it in a transaction of its own (the refused work rolls back)."""
    record(session=session, client=client, kind=kind, now=now, accepted=False)
