"""Recording an inspection's result: ``assigned`` -> ``done``, once, by one of its inspectors,
an officer whose scope covers the enterprise, or an administrator. Audited (``inspection.done``).

- ``clean``: nothing found.
- ``findings``: each finding goes into the problem register through the common intake
  (``problems.intake.record_finding``, channel ``inspection``, ``source_ref``
  ``inspection:<inspection id>:<n>``, ``match_key`` ``inspection:<enterprise id>:<category>``
  so a repeated finding joins the open problem), and is verified there like any other.
- ``refused``: the enterprise refused the inspection. The inspectors witnessed it, so the
  finding (``source_ref`` ``inspection-refused:<inspection id>``) opens a problem that the
  recording officer takes through the workflow at once — accept, assign to themself, verify,
  confirm with the on-site record (the time, the place, at least one photo, the text) — and
  then names the violation ``refused_inspection`` (``problems.violations.set_violation``): a
  green-code veto. Every step is the problem register's own, audited as usual.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ecoradar.audit.service import record_by
from ecoradar.auth.principal import Principal
from ecoradar.inspections.errors import BadInput, Clash, Denied
from ecoradar.inspections.models import OUTCOMES, Inspection
from ecoradar.inspections.service import get_inspection
from ecoradar.problems.intake import FindingIn, record_finding
from ecoradar.problems.models import CATEGORIES, SEVERITIES
from ecoradar.problems.policy import Policy
from ecoradar.problems.service import take_action
from ecoradar.problems.violations import set_violation
from ecoradar.problems.workflow import Action, OnsiteRecord, Payload
from ecoradar.regions.index import RegionIndex

CHANNEL = "inspection"
TEXT_MAX = 5000
MAX_FINDINGS = 20


@dataclass(frozen=True)
class FindingItem:
    category: str
    description: str
    severity: str = "medium"


@dataclass(frozen=True)
class ResultIn:
    outcome: str
    text: str = ""
    findings: tuple[FindingItem, ...] = ()
    photo_ids: tuple[int, ...] = ()
    """The recording officer's own uploads: required for a refusal (the on-site record)."""
    lat: float | None = None
    lon: float | None = None
    """Where the inspection took place (WGS84); the enterprise's registered place if absent."""


def may_record(principal: Principal, inspection: Inspection) -> bool:
    if principal.is_admin:
        return True
    if principal.user_id in {i.user_id for i in inspection.inspectors}:
        return True
    return principal.role == "officer" and principal.covers_region(inspection.enterprise.region_id)


def _check(result: ResultIn) -> None:
    if result.outcome not in OUTCOMES:
        raise BadInput(
            "outcome", f"outcome: {result.outcome!r} is not one of {', '.join(OUTCOMES)}"
        )
    if len(result.text) > TEXT_MAX or "\x00" in result.text:
        raise BadInput("text_long", f"text: at most {TEXT_MAX} characters")
    if result.outcome == "findings" and not result.findings:
        raise BadInput("findings_required", "findings: at least one finding")
    if result.outcome != "findings" and result.findings:
        raise BadInput("findings_forbidden", f"findings: none with the outcome {result.outcome}")
    if len(result.findings) > MAX_FINDINGS:
        raise BadInput("finding_invalid", f"findings: at most {MAX_FINDINGS}")
    for n, item in enumerate(result.findings, 1):
        if item.category not in CATEGORIES:
            raise BadInput("finding_invalid", f"findings[{n}].category: {item.category!r} unknown")
        if item.severity not in SEVERITIES:
            raise BadInput("finding_invalid", f"findings[{n}].severity: {item.severity!r} unknown")
        if not item.description.strip() or len(item.description) > TEXT_MAX:
            raise BadInput(
                "finding_invalid", f"findings[{n}].description: required, at most {TEXT_MAX}"
            )
    if result.outcome == "refused":
        if not result.text.strip():
            raise BadInput("refusal_text", "text: say how the enterprise refused the inspection")
        if not result.photo_ids:
            raise BadInput(
                "refusal_photo", "photos: a refusal needs at least one photo (the on-site record)"
            )


def record_result(
    *,
    session: Session,
    principal: Principal,
    inspection_id: int,
    result: ResultIn,
    now: datetime,
    index: RegionIndex,
    policy: Policy,
    ip: str | None = None,
) -> Inspection:
    """Record the result of an assigned inspection (one unit of work: the caller's)."""
    inspection = get_inspection(session=session, principal=principal, inspection_id=inspection_id)
    if not may_record(principal, inspection) or principal.role not in ("officer", "admin"):
        raise Denied("not_inspector", "only its inspectors or an officer in scope record a result")
    if inspection.state != "assigned":
        raise Clash(
            "not_assigned", f"inspection {inspection.id} is {inspection.state}, not assigned"
        )
    _check(result)
    enterprise = inspection.enterprise
    lat = result.lat if result.lat is not None else enterprise.latitude
    lon = result.lon if result.lon is not None else enterprise.longitude
    finding_ids: list[int] = []
    problem_ids: list[int] = []

    def finding(item: FindingIn) -> int:
        recorded = record_finding(
            session=session,
            index=index,
            item=item,
            now=now,
            actor=principal.actor,
            policy=policy,
        )
        finding_ids.append(recorded.finding.id)
        if recorded.problem.id not in problem_ids:
            problem_ids.append(recorded.problem.id)
        return recorded.problem.id

    def item(**fields: str | None) -> FindingIn:
        return FindingIn(
            channel=CHANNEL,
            category=fields["category"] or "other",
            severity=fields["severity"] or "medium",
            title=fields["title"],
            description=fields["description"] or "",
            source_ref=fields["source_ref"],
            match_key=fields.get("match_key"),
            lat=lat,
            lon=lon,
            observed_at=now,
            region_id=enterprise.region_id,
            enterprise_id=enterprise.id,
            data={"inspection_id": inspection.id, "draw_id": inspection.draw_id},
        )

    for n, found in enumerate(result.findings, 1):
        finding(
            item(
                category=found.category,
                severity=found.severity,
                title=f"{enterprise.name}: 双随机检查发现问题",
                description=found.description.strip(),
                source_ref=f"inspection:{inspection.id}:{n}",
                match_key=f"inspection:{enterprise.id}:{found.category}",
            )
        )
    if result.outcome == "refused":
        problem_id = finding(
            item(
                category="other",
                severity="high",
                title=f"{enterprise.name}: 拒绝检查",
                description=result.text.strip(),
                source_ref=f"inspection-refused:{inspection.id}",
            )
        )
        _confirm_refusal(session, principal, problem_id, result, lat, lon, now, policy, ip)
    before = {"state": inspection.state}
    inspection.state = "done"
    inspection.outcome = result.outcome
    inspection.result_text = result.text.strip() or None
    inspection.finding_ids = finding_ids
    inspection.problem_ids = problem_ids
    inspection.done_at = now
    inspection.done_by = principal.actor
    inspection.done_by_user_id = principal.user_id
    session.flush()
    record_by(
        principal,
        session=session,
        at=now,
        action="inspection.done",
        entity_type="inspection",
        entity_id=inspection.id,
        before=before,
        after={
            "state": "done",
            "outcome": result.outcome,
            "finding_ids": finding_ids,
            "problem_ids": problem_ids,
        },
        ip=ip,
    )
    return inspection


def _confirm_refusal(
    session: Session,
    principal: Principal,
    problem_id: int,
    result: ResultIn,
    lat: float,
    lon: float,
    now: datetime,
    policy: Policy,
    ip: str | None,
) -> None:
    """The refusal's problem through the workflow to ``confirmed``, then its violation."""
    onsite = OnsiteRecord(at=now, lat=lat, lon=lon, photo_ids=result.photo_ids, text=result.text)
    steps = (
        (Action.ACCEPT, Payload()),
        (Action.ASSIGN, Payload(assignee_id=principal.user_id)),
        (Action.START_VERIFICATION, Payload()),
        (Action.CONFIRM, Payload(onsite=onsite)),
    )
    for action, payload in steps:
        take_action(
            session=session,
            principal=principal,
            problem_id=problem_id,
            action=action,
            payload=payload,
            now=now,
            policy=policy,
            ip=ip,
        )
    set_violation(
        session=session,
        principal=principal,
        problem_id=problem_id,
        violation="refused_inspection",
        now=now,
        reason=result.text.strip(),
        ip=ip,
    )
