"""The green code's service API: recomputation, the code in force, lists, history, the
public-safe view, stale marking and the export records. Reads are scoped by the principal
(an enterprise sees its own code, an officer the codes of the region subtree, an administrator
all); the public view takes no principal and shows only public-safe facts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.auth.scope import enterprise_criteria
from ecoradar.bootstrap import Container
from ecoradar.config import Settings
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import NotFoundError
from ecoradar.greencode import stale
from ecoradar.greencode.gather import data_as_of, facts_for
from ecoradar.greencode.model import INDICATORS, Model, load_model
from ecoradar.greencode.models import GreenCode, GreenCodeHistory
from ecoradar.greencode.scoring import score
from ecoradar.greencode.store import last_history, save
from ecoradar.registry.models import Enterprise
from ecoradar.stats.service import scope_region

ACTOR = "system:greencode"
CHUNK = 200
"""Enterprises recomputed per unit of work."""
READ_ROLES = ("admin", "officer", "grid_worker", "enterprise")

Order = Literal["score", "-score"]

_UNSET: Any = object()


def model_for(settings: Settings) -> Model:
    """The model in force: ``ECORADAR_GREENCODE_MODEL``, else the built-in file."""
    return load_model(settings.greencode_model)


# --- recomputation ----------------------------------------------------------------------------


@dataclass
class RecomputeReport:
    computed: int = 0
    changed: int = 0
    """Codes whose colour changed (a first code counts)."""
    by_colour: Counter[str] = field(default_factory=Counter)
    data_as_of: datetime | None = None

    def add(self, other: RecomputeReport) -> None:
        self.computed += other.computed
        self.changed += other.changed
        self.by_colour.update(other.by_colour)
        self.data_as_of = other.data_as_of or self.data_as_of

    def summary(self, colours: Sequence[str]) -> str:
        counts = ", ".join(f"{c} {self.by_colour.get(c, 0)}" for c in colours)
        return f"{self.computed} code(s) computed, {self.changed} changed colour: {counts}"

    def __str__(self) -> str:
        counts = ", ".join(f"{c} {n}" for c, n in sorted(self.by_colour.items()))
        return f"green code: {self.computed} recomputed, {self.changed} changed colour" + (
            f" ({counts})" if counts else ""
        )


def recompute(
    *,
    session: Session,
    enterprise_ids: Sequence[int],
    now: datetime,
    model: Model,
    actor: str = ACTOR,
    as_of: datetime | None = _UNSET,
) -> RecomputeReport:
    """Recompute and store the codes of ``enterprise_ids`` (one unit of work: the caller's).
    ``as_of``: the monitoring data's "as of" (default: :func:`gather.data_as_of`)."""
    report = RecomputeReport()
    ids = sorted(set(enterprise_ids))
    if not ids:
        return report
    if as_of is _UNSET:
        as_of = data_as_of(session=session, now=now)
    report.data_as_of = as_of
    facts = facts_for(session=session, enterprise_ids=ids, now=now, model=model, as_of=as_of)
    codes = {
        c.enterprise_id: c
        for c in session.scalars(select(GreenCode).where(GreenCode.enterprise_id.in_(ids)))
    }
    last = last_history(session, ids)
    for enterprise_id in sorted(facts):
        item = facts[enterprise_id]
        saved = save(
            session=session,
            enterprise_id=enterprise_id,
            result=score(item, model),
            now=now,
            data_as_of=item.data_as_of,
            actor=actor,
            last=last.get(enterprise_id),
            code=codes.get(enterprise_id),
        )
        report.computed += 1
        report.changed += saved.changed
        report.by_colour[saved.colour] += 1
    session.flush()
    return report


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def recompute_all(
    container: Container,
    *,
    now: datetime | None = None,
    model: Model | None = None,
    actor: str = ACTOR,
    chunk: int = CHUNK,
) -> RecomputeReport:
    """Every enterprise's code, ``chunk`` enterprises per unit of work (each run whole again
    when the database is busy)."""
    now = now or container.clock.now()
    model = model or model_for(container.settings)
    with container.reading() as session:
        ids = list(session.scalars(select(Enterprise.id).order_by(Enterprise.id)))
        as_of = data_as_of(session=session, now=now)
    report = RecomputeReport(data_as_of=as_of)
    for part in _chunks(ids, chunk):

        def work(session: Session, part: list[int] = part) -> RecomputeReport:
            return recompute(
                session=session,
                enterprise_ids=part,
                now=now,
                model=model,
                actor=actor,
                as_of=as_of,
            )

        report.add(container.write(work, what="the green code"))
    return report


def mark_stale(
    *, session: Session, enterprise_ids: Iterable[int | None], reason: str, at: datetime
) -> None:
    """Queue enterprises for recomputation by the scheduler's next pass (in the caller's
    transaction)."""
    stale.mark(session=session, enterprise_ids=enterprise_ids, reason=reason, at=at)


# --- reading ----------------------------------------------------------------------------------


def visible(principal: Principal) -> ColumnElement[bool]:
    """The condition on ``enterprises`` for whose codes ``principal`` may see."""
    if not principal.has_role(*READ_ROLES) and not principal.unrestricted:
        return Enterprise.id.is_(None)
    condition = enterprise_criteria(principal)
    return true() if condition is None else condition


def current(*, session: Session, enterprise_id: int) -> GreenCode | None:
    """The code in force (no scope check: for services that checked already)."""
    return session.get(GreenCode, enterprise_id)


def _enterprise(session: Session, principal: Principal, enterprise_code: str) -> Enterprise:
    found = session.scalar(
        select(Enterprise).where(
            Enterprise.code == enterprise_code.strip().upper(), visible(principal)
        )
    )
    if found is None:
        raise NotFoundError(f"enterprise {enterprise_code!r} does not exist")
    return found


def current_for(*, session: Session, principal: Principal, enterprise_code: str) -> GreenCode:
    """The code in force of an enterprise ``principal`` may see; ``NotFoundError`` otherwise,
    or when no code was computed yet."""
    enterprise = _enterprise(session, principal, enterprise_code)
    code = session.get(GreenCode, enterprise.id)
    if code is None:
        raise NotFoundError(f"enterprise {enterprise.code} has no green code yet")
    return code


@dataclass(frozen=True)
class CodeRow:
    enterprise_id: int
    enterprise_code: str
    enterprise_name: str
    region_id: int | None
    longitude: float
    latitude: float
    colour: str
    score: float
    vetoed: bool
    computed_at: datetime
    colour_since: datetime


@dataclass(frozen=True)
class CodePage:
    items: list[CodeRow]
    total: int


def _codes(principal: Principal) -> Any:
    return (
        select(
            GreenCode.enterprise_id,
            Enterprise.code,
            Enterprise.name,
            Enterprise.region_id,
            Enterprise.longitude,
            Enterprise.latitude,
            GreenCode.colour,
            GreenCode.score,
            GreenCode.vetoed,
            GreenCode.computed_at,
            GreenCode.colour_since,
        )
        .join(Enterprise, GreenCode.enterprise_id == Enterprise.id)
        .where(visible(principal))
    )


def list_codes(
    *,
    session: Session,
    principal: Principal,
    colour: str | None = None,
    region_code: str | None = None,
    order: Order = "score",
    limit: int = 100,
    offset: int = 0,
    colour_since: datetime | None = None,
) -> CodePage:
    """Codes ``principal`` may see, by score (``score``: worst first; ``-score``: best first),
    optionally of one colour and one region's subtree; ``colour_since``: only codes that took
    their colour at or after that instant (e.g. turned red this week)."""
    query = _codes(principal)
    if colour is not None:
        query = query.where(GreenCode.colour == colour)
    if colour_since is not None:
        query = query.where(GreenCode.colour_since >= colour_since)
    if region_code is not None:
        regions = scope_region(session=session, principal=principal, code=region_code)
        query = query.where(Enterprise.region_id.in_(sorted(regions)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    by = GreenCode.score.asc() if order == "score" else GreenCode.score.desc()
    rows = session.execute(query.order_by(by, Enterprise.code).limit(limit).offset(offset))
    return CodePage([CodeRow(*row) for row in rows], int(total))


def colour_counts(*, session: Session, principal: Principal) -> dict[str, int]:
    """How many visible enterprises have each colour."""
    rows = session.execute(
        select(GreenCode.colour, func.count())
        .join(Enterprise, GreenCode.enterprise_id == Enterprise.id)
        .where(visible(principal))
        .group_by(GreenCode.colour)
    )
    return {colour: int(n) for colour, n in rows}


def history(
    *,
    session: Session,
    principal: Principal,
    enterprise_code: str,
    since: datetime | None = None,
) -> list[GreenCodeHistory]:
    """The enterprise's history rows, oldest first."""
    enterprise = _enterprise(session, principal, enterprise_code)
    query = select(GreenCodeHistory).where(GreenCodeHistory.enterprise_id == enterprise.id)
    if since is not None:
        query = query.where(GreenCodeHistory.at >= since)
    return list(session.scalars(query.order_by(GreenCodeHistory.at, GreenCodeHistory.id)))


@dataclass(frozen=True)
class PublicCode:
    """What anyone may see of a code: no ids, no problem titles, no personal data."""

    enterprise_code: str
    enterprise_name: str
    colour: str
    colour_since: datetime
    computed_at: datetime
    model_version: str
    reasons: list[str]
    reason_facts: list[dict[str, Any]] = field(default_factory=list)
    """The same reasons as ``{"public_text", "what", "params"}``, for pages that word them in
    their own language (the JSON API gives ``reasons`` only)."""


def public_view(*, session: Session, enterprise_code: str) -> PublicCode | None:
    """The public-safe view of an enterprise's code (the QR page); None when unknown or not
    computed yet."""
    row = session.execute(
        select(Enterprise.code, Enterprise.name, GreenCode)
        .join(GreenCode, GreenCode.enterprise_id == Enterprise.id)
        .where(Enterprise.code == enterprise_code.strip().upper())
    ).first()
    if row is None:
        return None
    code, name, found = row
    shown = [r for r in found.reasons if r.get("public_text")]
    return PublicCode(
        code,
        name,
        found.colour,
        found.colour_since,
        found.computed_at,
        found.model_version,
        [str(r["public_text"]) for r in shown],
        [
            {"public_text": r["public_text"], "what": r.get("what"), "params": r.get("params")}
            for r in shown
        ],
    )


# --- export -------------------------------------------------------------------------------------


def export_record(enterprise_code: str, code: GreenCode) -> dict[str, Any]:
    """One line of ``ecoradar greencode export``: the contract's fields, times with +08:00."""
    indicators = code.indicators or {}
    return {
        "enterprise_code": enterprise_code,
        "colour": code.colour,
        "score": code.score,
        "computed_at": code.computed_at.astimezone(CHINA_TZ).isoformat(),
        "indicators": {name: (indicators.get(name) or {}).get("score") for name in INDICATORS},
        "reasons": [] if code.colour == "green" else [str(r["text"]) for r in code.reasons],
    }


def export_rows(*, session: Session, batch: int = 1000) -> Iterator[dict[str, Any]]:
    """Every stored code, by enterprise code."""
    query = (
        select(Enterprise.code, GreenCode)
        .join(GreenCode, GreenCode.enterprise_id == Enterprise.id)
        .order_by(Enterprise.code)
        .execution_options(yield_per=batch)
    )
    for enterprise_code, code in session.execute(query):
        yield export_record(enterprise_code, code)
