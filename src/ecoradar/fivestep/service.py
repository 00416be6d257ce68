"""Five-step campaigns and records for the officers who run them.

Who sees what: an officer sees the campaigns of regions within their scope and the records of
the enterprises in it; an administrator everything; an enterprise user its own records (read
only); anything else is "not found". Only officers and administrators create campaigns and move
steps. Every change is audited (``fivestep.campaign.create``, ``fivestep.step.<action>``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ecoradar.audit.service import record as audit
from ecoradar.auth.principal import Principal
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError, NotFoundError, PermissionDenied
from ecoradar.fivestep import workflow
from ecoradar.fivestep.models import STEPS, FiveStepCampaign, FiveStepRecord, FiveStepStep
from ecoradar.regions.models import Region
from ecoradar.regions.service import region_by_code, subtree_ids
from ecoradar.registry.models import Enterprise

NAME_MAX = 200
MAX_ENTERPRISES = 2000
MAX_DAYS = 366


def may_manage(principal: Principal) -> bool:
    return principal.has_role("admin", "officer")


def _require_manager(principal: Principal) -> None:
    if not may_manage(principal):
        raise PermissionDenied("only officers run five-step campaigns")


def period_bounds(campaign: FiveStepCampaign) -> tuple[datetime, datetime]:
    """The campaign's period as UTC instants: [first day 00:00, day after last 00:00) in China."""
    start = datetime.combine(campaign.period_start, time(), tzinfo=CHINA_TZ)
    end = datetime.combine(campaign.period_end + timedelta(days=1), time(), tzinfo=CHINA_TZ)
    return start.astimezone(UTC), end.astimezone(UTC)


def create_campaign(
    *,
    session: Session,
    principal: Principal,
    name: str,
    period_start: date,
    period_end: date,
    region_code: str,
    enterprise_codes: Sequence[str] = (),
    industries: Sequence[str] = (),
    now: datetime,
) -> FiveStepCampaign:
    """A campaign over the enterprises chosen (``enterprise_codes``) or those of
    ``industries`` in the region's subtree, each with a record of five pending steps."""
    _require_manager(principal)
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise InputError(f"name: required, at most {NAME_MAX} characters")
    if period_end < period_start:
        raise InputError("period_end: before period_start")
    if (period_end - period_start).days >= MAX_DAYS:
        raise InputError(f"period_end: a campaign lasts at most {MAX_DAYS} days")
    try:
        region = region_by_code(session=session, code=region_code)
    except NotFoundError:
        raise InputError(f"region: no region with code {region_code!r}") from None
    if not principal.covers_region(region.id):
        raise InputError(f"region: {region_code!r} is outside your scope")
    if bool(enterprise_codes) == bool(industries):
        raise InputError("enterprises: choose enterprises or industries (one of the two)")
    inside = subtree_ids(session=session, region_id=region.id)
    query = select(Enterprise).where(Enterprise.region_id.in_(sorted(inside)))
    if enterprise_codes:
        codes = list(dict.fromkeys(c.strip() for c in enterprise_codes if c.strip()))
        found = {e.code: e for e in session.scalars(query.where(Enterprise.code.in_(codes)))}
        missing = [c for c in codes if c not in found]
        if missing:
            raise InputError(f"enterprises: not in {region.code}: {', '.join(missing[:10])}")
        chosen = [found[c] for c in codes]
    else:
        wanted = sorted({i.strip() for i in industries if i.strip()})
        chosen = list(
            session.scalars(query.where(Enterprise.industry.in_(wanted)).order_by(Enterprise.code))
        )
        if not chosen:
            raise InputError(f"industries: no enterprise of {', '.join(wanted)} in {region.code}")
    if len(chosen) > MAX_ENTERPRISES:
        raise InputError(f"enterprises: at most {MAX_ENTERPRISES} in a campaign")
    campaign = FiveStepCampaign(
        name=name,
        period_start=period_start,
        period_end=period_end,
        region_id=region.id,
        industries=sorted({i.strip() for i in industries if i.strip()}),
        created_at=now,
        created_by=principal.actor,
        created_by_user_id=principal.user_id,
    )
    for enterprise in chosen:
        steps = [
            FiveStepStep(step=code, position=n, state="pending", note="", result={})
            for n, code in enumerate(STEPS, 1)
        ]
        campaign.records.append(
            FiveStepRecord(
                enterprise_id=enterprise.id, state="open", created_at=now, updated_at=now,
                steps=steps,
            )
        )  # fmt: skip
    session.add(campaign)
    session.flush()
    audit(
        session=session,
        at=now,
        actor=principal.actor,
        actor_user_id=principal.user_id,
        action="fivestep.campaign.create",
        entity_type="fivestep_campaign",
        entity_id=campaign.id,
        after={
            "name": name,
            "period_start": period_start.isoformat(),
            "period_end": period_end.isoformat(),
            "region": region.code,
            "industries": campaign.industries,
            "enterprises": [e.code for e in chosen],
        },
    )
    return campaign


def _visible_campaign(principal: Principal, campaign: FiveStepCampaign) -> bool:
    """A campaign of a region in scope, or one with an enterprise in scope (a city's campaign
    shows a county officer that county's enterprises only)."""
    if principal.unrestricted:
        return True
    if principal.has_role("officer", "grid_worker") and principal.covers_region(campaign.region_id):
        return True
    return any(_visible_record(principal, r) for r in campaign.records)


def _visible_record(principal: Principal, record: FiveStepRecord) -> bool:
    if principal.unrestricted:
        return True
    if principal.role == "enterprise":
        return record.enterprise_id == principal.enterprise_id
    return principal.has_role("officer", "grid_worker") and principal.covers_region(
        record.enterprise.region_id
    )


def list_campaigns(*, session: Session, principal: Principal) -> list[FiveStepCampaign]:
    query = select(FiveStepCampaign).order_by(
        FiveStepCampaign.period_start.desc(), FiveStepCampaign.id.desc()
    )
    if not principal.unrestricted:
        if principal.role == "enterprise":
            mine = FiveStepRecord.enterprise_id == principal.enterprise_id
        elif principal.has_role("officer", "grid_worker"):
            mine = FiveStepRecord.enterprise_id.in_(
                select(Enterprise.id).where(Enterprise.region_id.in_(sorted(principal.region_ids)))
            )
        else:
            return []
        query = query.where(
            or_(
                FiveStepCampaign.region_id.in_(sorted(principal.region_ids)),
                FiveStepCampaign.id.in_(select(FiveStepRecord.campaign_id).where(mine)),
            )
        )
    found = list(session.scalars(query.limit(500)).unique())
    return [c for c in found if _visible_campaign(principal, c)]


def get_campaign(*, session: Session, principal: Principal, campaign_id: int) -> FiveStepCampaign:
    campaign = session.get(FiveStepCampaign, campaign_id)
    if campaign is None or not _visible_campaign(principal, campaign):
        raise NotFoundError(f"five-step campaign {campaign_id} does not exist")
    return campaign


def records_of(principal: Principal, campaign: FiveStepCampaign) -> list[FiveStepRecord]:
    """The campaign's records ``principal`` may see."""
    return [r for r in campaign.records if _visible_record(principal, r)]


def get_record(*, session: Session, principal: Principal, record_id: int) -> FiveStepRecord:
    record = session.get(FiveStepRecord, record_id)
    if record is None or not _visible_record(principal, record):
        raise NotFoundError(f"five-step record {record_id} does not exist")
    return record


def states(record: FiveStepRecord) -> dict[str, workflow.StepState]:
    return {s.step: workflow.StepState(s.state, s.outcome) for s in record.steps}


def region_name(session: Session, region_id: int) -> str:
    region = session.get(Region, region_id)
    return region.name if region is not None else ""


def move_step(
    *,
    session: Session,
    principal: Principal,
    record_id: int,
    step: str,
    action: workflow.Action,
    now: datetime,
    outcome: str | None = None,
    reason: str = "",
    result: dict[str, Any] | None = None,
) -> FiveStepRecord:
    """Apply ``action`` to a step (``workflow.apply``), keep ``result`` on it (a completion's
    figures and findings; a reopening keeps the earlier result under ``previous``), audit."""
    _require_manager(principal)
    record = get_record(session=session, principal=principal, record_id=record_id)
    change = workflow.apply(states(record), step, action, outcome=outcome, reason=reason)
    row = record.step(step)
    before = {"state": row.state, "outcome": row.outcome, "record_state": record.state}
    row.state = change.to_state
    row.outcome = change.outcome
    row.note = reason.strip()
    if action == "reopen":
        row.result = {"previous": row.result} if row.result else {}
        row.finished_at = row.finished_by = None
    else:
        row.result = dict(result or {})
        row.finished_at = now
        row.finished_by = principal.actor
    record.state = change.record_state
    record.updated_at = now
    session.flush()
    audit(
        session=session,
        at=now,
        actor=principal.actor,
        actor_user_id=principal.user_id,
        action=f"fivestep.step.{action}",
        entity_type="fivestep_record",
        entity_id=record.id,
        before=before,
        after={
            "step": step,
            "state": row.state,
            "outcome": row.outcome,
            "record_state": record.state,
            "result": row.result,
        },
        reason=reason.strip() or None,
    )
    return record
