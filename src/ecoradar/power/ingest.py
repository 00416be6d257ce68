"""Readings in, whatever brought them (MQTT, HTTP): check, store once, and judge the time
they cover, in the caller's unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from ecoradar.config import Settings
from ecoradar.core.errors import InputError
from ecoradar.power.detect import Report, detect_ranges
from ecoradar.power.models import PowerMeter
from ecoradar.power.payload import ReadingIn
from ecoradar.power.service import check_readings, store_readings
from ecoradar.problems.policy import load_policy
from ecoradar.regions.service import RegionIndexCache


@dataclass(frozen=True)
class Batch:
    """Readings that stand or fall together: one MQTT message, one HTTP request. ``where``
    names it in refusals (the topic); ``enterprise`` is the topic's enterprise, if any."""

    where: str
    items: Sequence[ReadingIn]
    enterprise: str | None = None


@dataclass
class Ingested:
    stored: int = 0
    duplicates: int = 0
    report: Report = field(default_factory=Report)
    refused: list[str] = field(default_factory=list)
    """One reason per batch refused (naming the topic or item and the field)."""


def ingest(
    *,
    session: Session,
    settings: Settings,
    regions: RegionIndexCache,
    batches: Sequence[Batch],
    source: str,
    now: datetime,
    region_ids: frozenset[int] | None = None,
) -> Ingested:
    """Check each batch (a refused one is left out whole, its reason in ``refused``), store
    the new readings of the others and run the rules over the time they cover."""
    result = Ingested()
    items: list[ReadingIn] = []
    meters: dict[str, PowerMeter] = {}
    for batch in batches:
        try:
            meters.update(
                check_readings(
                    session,
                    batch.items,
                    enterprise=batch.enterprise,
                    where=batch.where,
                    regions=region_ids,
                )
            )
        except InputError as exc:
            result.refused.append(str(exc))
            continue
        items.extend(batch.items)
    stored = store_readings(session=session, items=items, meters=meters, source=source, now=now)
    result.stored, result.duplicates = stored.stored, stored.duplicates
    if stored.ranges:
        result.report = detect_ranges(
            session=session,
            index=regions.get(session),
            policy=load_policy(session=session, settings=settings),
            ranges=stored.ranges,
            now=now,
        )
    return result
