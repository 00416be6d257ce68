"""The alert page's kind cards (counts by kind, open and closed) without regrouping every
alert on each request.

At province scale the counts group every matching alert: 120,000 for a county officer,
500,000 for an administrator, 190 to 300 ms on PostgreSQL (``bench/bench_lists.py``), on
every page load and every live refresh. :func:`kind_cards` keeps the counts of a large set
(more than ``COUNT_CAP`` alerts) for a while and reuses them while no alert was raised or
changed since (the newest id and ``updated_at`` of the alerts table, read from two indexes)
and for at most ``CARD_TTL``; a small set is always counted afresh. So the cards are exact
except for alerts deleted (or points moved between regions) less than ``CARD_TTL`` ago.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ecoradar.auth.scope import scope_of
from ecoradar.core.paging import COUNT_CAP
from ecoradar.detection.models import Alert
from ecoradar.detection.service import AlertCounts, AlertFilter, count_alerts

CARD_TTL = 300.0
"""Seconds a large set's counts are reused at most (while no alert changes)."""

_alerts = Alert.__table__  # the whole table: any change anywhere invalidates
_kept: WeakKeyDictionary[Engine, dict[Any, tuple[float, Any, AlertCounts]]] = WeakKeyDictionary()


def _stamp(session: Session) -> tuple[int | None, datetime | None]:
    """The newest alert id and change time (both index look-ups)."""
    row = session.execute(select(func.max(_alerts.c.id), func.max(_alerts.c.updated_at))).one()
    return row[0], row[1]


def _who(session: Session) -> Any:
    principal = scope_of(session)
    if principal is None:
        return None
    return (principal.unrestricted, principal.enterprise_id, principal.region_ids)


def kind_cards(*, session: Session, filters: AlertFilter) -> AlertCounts:
    """``count_alerts(filters)``, reused for a large set while the alerts are unchanged."""
    engine = session.get_bind()
    if not isinstance(engine, Engine):
        return count_alerts(session=session, filters=filters)
    kept = _kept.setdefault(engine, {})
    key = (_who(session), filters)
    stamp = _stamp(session)
    now = time.monotonic()
    found = kept.get(key)
    if found is not None and found[1] == stamp and now - found[0] < CARD_TTL:
        return found[2]
    counts = count_alerts(session=session, filters=filters)
    for old in [k for k, (at, _, _) in kept.items() if now - at >= CARD_TTL]:
        del kept[old]
    if counts.overall.total > COUNT_CAP:
        kept[key] = (now, stamp, counts)
    return counts
