"""What officers define for the triggers: upcoming stricter standards per industry
(``standard_change``) and seasonal campaigns (``campaign``). Audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.audit.service import record as audit
from ecoradar.core.errors import InputError, NotFoundError
from ecoradar.regions.models import Region
from ecoradar.reminders.models import Campaign, UpcomingStandard


def _need(value: str, field: str, longest: int) -> str:
    value = value.strip()
    if not value:
        raise InputError(f"{field}: required")
    if len(value) > longest:
        raise InputError(f"{field}: longer than {longest} characters")
    return value


def _industries(codes: Sequence[str]) -> list[str]:
    out = []
    for code in codes:
        code = code.strip()
        if code and (not code.isdigit() or len(code) > 4):
            raise InputError(f"industry: {code!r} is not a GB/T 4754 code or prefix (digits)")
        if code:
            out.append(code)
    return out


def add_standard(
    *,
    session: Session,
    industry: str,
    standard: str,
    effective: date,
    changes: str,
    changes_en: str,
    now: datetime,
    actor: str,
    actor_user_id: int | None = None,
) -> UpcomingStandard:
    [code] = _industries([industry]) or [""]
    if not code:
        raise InputError("industry: required")
    row = UpcomingStandard(
        industry=code, standard=_need(standard, "standard", 120), effective=effective,
        changes=_need(changes, "changes", 2000), changes_en=changes_en.strip()[:2000],
        created_at=now, created_by=actor,
    )  # fmt: skip
    session.add(row)
    session.flush()
    audit(
        session=session, at=now, actor=actor, action="reminder_standard.create",
        entity_type="reminder_standard", entity_id=row.id, actor_user_id=actor_user_id,
        after={"industry": code, "standard": row.standard, "effective": effective.isoformat()},
    )  # fmt: skip
    return row


def add_campaign(
    *,
    session: Session,
    name: str,
    starts: date,
    ends: date,
    text: str,
    text_en: str,
    industries: Sequence[str],
    region_codes: Sequence[str],
    now: datetime,
    actor: str,
    actor_user_id: int | None = None,
) -> Campaign:
    if ends < starts:
        raise InputError("ends: before starts")
    region_ids = []
    for code in region_codes:
        if not code.strip():
            continue
        found = session.scalar(select(Region.id).where(Region.code == code.strip()))
        if found is None:
            raise NotFoundError(f"region: no region {code!r}")
        region_ids.append(found)
    row = Campaign(
        name=_need(name, "name", 200), starts=starts, ends=ends,
        industries=_industries(industries), region_ids=region_ids,
        text=_need(text, "text", 2000), text_en=text_en.strip()[:2000],
        created_at=now, created_by=actor,
    )  # fmt: skip
    session.add(row)
    session.flush()
    audit(
        session=session, at=now, actor=actor, action="reminder_campaign.create",
        entity_type="reminder_campaign", entity_id=row.id, actor_user_id=actor_user_id,
        after={"name": row.name, "starts": starts.isoformat(), "ends": ends.isoformat(),
               "industries": row.industries, "region_ids": region_ids},
    )  # fmt: skip
    return row


def listing(session: Session) -> tuple[list[UpcomingStandard], list[Campaign]]:
    standards = list(session.scalars(select(UpcomingStandard).order_by(UpcomingStandard.effective)))
    campaigns = list(session.scalars(select(Campaign).order_by(Campaign.starts.desc())))
    return standards, campaigns
