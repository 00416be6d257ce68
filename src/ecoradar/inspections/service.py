"""Making draws and reading them: the candidates of a region with their green-code colours,
the inspectors eligible for each, the draw itself (``inspections.draw``), storing it with its
inputs, and the lists staff and the public read.

Who may draw: an officer for a region within their scope (their region or below), an
administrator for any region, and the command line (``principal=None``, the operator). Two draws
may not cover the same enterprise in overlapping periods: a draw for a region is refused while
a draw of an overlapping period exists for that region, a region above it or one below it — so
a draw cannot be repeated until its result pleases.
"""

from __future__ import annotations

import re
import secrets
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session

from ecoradar.audit.service import record
from ecoradar.auth.models import User
from ecoradar.auth.principal import Principal
from ecoradar.greencode.model import Model
from ecoradar.inspections import draw as drawing
from ecoradar.inspections.candidates import (
    ancestors,
    candidates_in,
    eligible_inspectors,
    parents,
    rates_of,
    uncoded_colour,
)
from ecoradar.inspections.errors import BadInput, Clash, Denied, Missing
from ecoradar.inspections.models import Draw, Inspection, Inspector
from ecoradar.inspections.periods import Period, parse_period
from ecoradar.regions.models import Region
from ecoradar.registry.models import Enterprise

OPERATOR = "cli:ecoradar"
"""The actor of a draw made on the command line."""
DRAW_ROLES = ("officer", "admin")
SEED = re.compile(r"[A-Za-z0-9._-]{1,128}")
MAX_INSPECTORS = 10


# --- regions and who may draw ---------------------------------------------------------------


def may_draw(principal: Principal | None, region_id: int) -> bool:
    if principal is None:
        return True
    return principal.has_role(*DRAW_ROLES) and principal.covers_region(region_id)


def draws_visible(principal: Principal | None) -> ColumnElement[bool]:
    """The draws a staff member sees: those of regions within their scope (an officer), every
    one (an administrator, the operator)."""
    if principal is None or principal.unrestricted:
        return true()
    if not principal.is_staff or not principal.region_ids:
        return Draw.id.is_(None)
    return Draw.region_id.in_(sorted(principal.region_ids))


def region_for(session: Session, principal: Principal | None, code: str | None) -> Region:
    """The region a draw is for: ``code``, or with none given the principal's own region (the
    only top region for the operator and administrators)."""
    if code:
        region = session.scalar(select(Region).where(Region.code == code.strip()))
        if region is None:
            raise Missing("region", f"region: no region {code!r}")
    elif principal is not None and principal.region_id is not None:
        region = session.get(Region, principal.region_id)
        if region is None:
            raise Missing("region", "region: the scope's region no longer exists")
    else:
        tops = list(session.scalars(select(Region).where(Region.parent_id.is_(None)).limit(2)))
        if len(tops) != 1:
            raise BadInput("region", "region: give the region's code")
        region = tops[0]
    if not may_draw(principal, region.id):
        raise Denied("scope", f"region {region.code}: outside your scope, or not an officer")
    return region


@dataclass(frozen=True)
class Expectation:
    region: str
    candidates: int
    by_colour: dict[str, int]
    expected: dict[str, float]
    expected_total: float
    rates: dict[str, float]
    uncoded_colour: str


def expectation(
    *, session: Session, principal: Principal | None, region_code: str | None, model: Model
) -> Expectation:
    """Before a draw: the region's candidates per colour and how many of each are expected to
    be drawn (the sum of their rates). Scope checked like a draw."""
    place = region_for(session, principal, region_code)
    colours = [c for _, c in candidates_in(session, place)]
    uncoded = uncoded_colour(model)
    rates = rates_of(model)
    wanted = drawing.expected(colours, rates, uncoded_colour=uncoded)
    return Expectation(
        region=place.code,
        candidates=len(colours),
        by_colour=dict(Counter(c or uncoded for c in colours)),
        expected={c: round(v, 2) for c, v in wanted.items()},
        expected_total=round(sum(wanted.values()), 2),
        rates=rates,
        uncoded_colour=uncoded,
    )


# --- planning and storing a draw --------------------------------------------------------------


@dataclass
class Plan:
    """A draw computed but not stored (what ``--dry-run`` prints)."""

    period: Period
    region: Region
    seed: str
    rates: dict[str, float]
    uncoded_colour: str
    inspectors_per_inspection: int
    model_version: str
    scheme: str
    candidates: list[tuple[Enterprise, str | None]]
    eligible: dict[int, list[tuple[int, str]]]
    drawn: list[drawing.Drawn]
    counts: dict[str, int] = field(default_factory=dict)
    """Candidates per colour (the uncoded ones under ``uncoded_colour``)."""
    expected: dict[str, float] = field(default_factory=dict)

    @property
    def by_code(self) -> dict[str, Enterprise]:
        return {e.code: e for e, _ in self.candidates}


def check_seed(seed: str) -> str:
    seed = seed.strip()
    if not SEED.fullmatch(seed):
        raise BadInput("seed", "seed: 1-128 characters, letters, digits and . _ -")
    return seed


def new_seed() -> str:
    """A fresh seed from the operating system's randomness (128 bits, hex)."""
    return secrets.token_hex(16)


def plan_draw(
    *,
    session: Session,
    principal: Principal | None,
    period: str,
    region_code: str | None,
    model: Model,
    seed: str | None = None,
    inspectors_per_inspection: int = drawing.DEFAULT_INSPECTORS,
) -> Plan:
    """The draw for ``period`` and the region (scope checked), without storing it."""
    if not 1 <= inspectors_per_inspection <= MAX_INSPECTORS:
        raise BadInput("inspectors", f"inspectors per inspection: from 1 to {MAX_INSPECTORS}")
    when = parse_period(period)
    region = region_for(session, principal, region_code)
    seed = check_seed(seed) if seed else new_seed()
    rates = rates_of(model)
    uncoded = uncoded_colour(model)
    candidates = candidates_in(session, region)
    eligible = eligible_inspectors(session, [e for e, _ in candidates])
    drawn = drawing.draw(
        [
            drawing.Candidate(e.code, colour, tuple(n for _, n in eligible[e.id]))
            for e, colour in candidates
        ],
        rates,
        seed,
        when.label,
        uncoded_colour=uncoded,
        inspectors_per_inspection=inspectors_per_inspection,
    )
    colours = [colour for _, colour in candidates]
    return Plan(
        period=when,
        region=region,
        seed=seed,
        rates=rates,
        uncoded_colour=uncoded,
        inspectors_per_inspection=inspectors_per_inspection,
        model_version=model.version,
        scheme=model.scheme.name,
        candidates=candidates,
        eligible=eligible,
        drawn=drawn,
        counts=dict(Counter(c or uncoded for c in colours)),
        expected=drawing.expected(colours, rates, uncoded_colour=uncoded),
    )


def overlapping(session: Session, plan: Plan) -> Draw | None:
    """A stored draw covering some of the same enterprises in an overlapping period."""
    tree = parents(session)
    for other in session.scalars(
        select(Draw).where(
            Draw.period_start <= plan.period.end, Draw.period_end >= plan.period.start
        )
    ):
        if other.region_id in ancestors(tree, plan.region.id) or plan.region.id in ancestors(
            tree, other.region_id
        ):
            return other
    return None


def store_plan(*, session: Session, principal: Principal | None, plan: Plan, now: datetime) -> Draw:
    """Store ``plan``: the draw, one inspection per drawn enterprise and its inspectors.
    Audited (``inspection_draw.create``)."""
    clash = overlapping(session, plan)
    if clash is not None:
        raise Clash(
            "overlap",
            f"draw {clash.id} ({clash.period}, {clash.region.code}) already covers this region "
            "in an overlapping period",
        )
    actor = principal.actor if principal is not None else OPERATOR
    user_id = principal.user_id if principal is not None else None
    row = Draw(
        period=plan.period.label,
        period_start=plan.period.start,
        period_end=plan.period.end,
        region_id=plan.region.id,
        seed=plan.seed,
        algorithm=drawing.ALGORITHM,
        rates=plan.rates,
        uncoded_colour=plan.uncoded_colour,
        inspectors_per_inspection=plan.inspectors_per_inspection,
        model_version=plan.model_version,
        scheme=plan.scheme,
        candidates=[[e.code, colour] for e, colour in plan.candidates],
        created_at=now,
        created_by=actor,
        created_by_user_id=user_id,
    )
    session.add(row)
    session.flush()
    enterprises = plan.by_code
    summary: list[dict[str, Any]] = []
    for item in plan.drawn:
        enterprise = enterprises[item.code]
        ids = {n: u for u, n in plan.eligible[enterprise.id]}
        inspection = Inspection(
            draw_id=row.id,
            enterprise_id=enterprise.id,
            colour=item.colour,
            coded=item.coded,
            rate=item.rate,
            state="assigned" if item.staffed else "unstaffed",
            eligible=sorted(ids),
            created_at=now,
            inspectors=[
                Inspector(user_id=ids[name], username=name, position=n)
                for n, name in enumerate(item.inspectors)
            ],
        )
        session.add(inspection)
        summary.append({"enterprise": item.code, "inspectors": list(item.inspectors)})
    session.flush()
    record(
        session=session,
        at=now,
        actor=actor,
        actor_user_id=user_id,
        action="inspection_draw.create",
        entity_type="inspection_draw",
        entity_id=row.id,
        after={
            "period": row.period,
            "region": plan.region.code,
            "seed": row.seed,
            "algorithm": row.algorithm,
            "rates": row.rates,
            "candidates": len(plan.candidates),
            "drawn": summary,
        },
    )
    return row


def make_draw(
    *,
    session: Session,
    principal: Principal | None,
    period: str,
    region_code: str | None,
    model: Model,
    now: datetime,
    seed: str | None = None,
    inspectors_per_inspection: int = drawing.DEFAULT_INSPECTORS,
) -> Draw:
    """Draw and store (one unit of work: the caller's)."""
    plan = plan_draw(
        session=session,
        principal=principal,
        period=period,
        region_code=region_code,
        model=model,
        seed=seed,
        inspectors_per_inspection=inspectors_per_inspection,
    )
    return store_plan(session=session, principal=principal, plan=plan, now=now)


# --- reading --------------------------------------------------------------------------------


def list_draws(*, session: Session, principal: Principal | None, limit: int = 100) -> list[Draw]:
    return list(
        session.scalars(
            select(Draw).where(draws_visible(principal)).order_by(Draw.id.desc()).limit(limit)
        )
    )


def get_draw(*, session: Session, principal: Principal | None, draw_id: int) -> Draw:
    """A draw the principal may see; any other is 'not found'."""
    found = session.scalar(select(Draw).where(Draw.id == draw_id, draws_visible(principal)))
    if found is None:
        raise Missing("draw", f"no inspection draw {draw_id}")
    return found


def inspections_visible(principal: Principal) -> ColumnElement[bool]:
    """The inspections a staff member sees: of the draws they see, or drawn for them."""
    mine = Inspection.id.in_(
        select(Inspector.inspection_id).where(Inspector.user_id == principal.user_id)
    )
    if principal.unrestricted:
        return true()
    if not principal.is_staff:
        return Inspection.id.is_(None)
    seen = Inspection.draw_id.in_(select(Draw.id).where(draws_visible(principal)))
    by_region = Inspection.enterprise_id.in_(
        select(Enterprise.id).where(Enterprise.region_id.in_(sorted(principal.region_ids)))
    )
    return or_(seen, by_region, mine)


def get_inspection(*, session: Session, principal: Principal, inspection_id: int) -> Inspection:
    found = session.scalar(
        select(Inspection).where(Inspection.id == inspection_id, inspections_visible(principal))
    )
    if found is None:
        raise Missing("inspection", f"no inspection {inspection_id}")
    return found


def assigned_to(*, session: Session, user_id: int, open_only: bool = False) -> list[Inspection]:
    """The inspections a user was drawn for, newest draw first."""
    query = (
        select(Inspection)
        .join(Inspector, Inspector.inspection_id == Inspection.id)
        .where(Inspector.user_id == user_id)
        .order_by(Inspection.draw_id.desc(), Inspection.id)
    )
    if open_only:
        query = query.where(Inspection.state == "assigned")
    return list(session.scalars(query))


def display_names(session: Session, user_ids: Iterable[int]) -> dict[int, str]:
    """Each user's display name (their user name when they have none), for staff pages."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(User.id, User.display_name, User.username).where(User.id.in_(ids))
    )
    return {user_id: shown or name for user_id, shown, name in rows}
