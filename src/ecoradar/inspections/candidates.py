"""The inputs of a draw: the regions below a region, the candidate enterprises with their
green-code colours, the rates in force and the inspectors eligible for each enterprise (active
officers whose region scope covers it, without a declared conflict of interest)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.auth.models import User
from ecoradar.greencode.model import Model
from ecoradar.greencode.models import GreenCode
from ecoradar.inspections import draw as drawing
from ecoradar.inspections.models import Conflict
from ecoradar.regions.models import Region
from ecoradar.registry.models import Enterprise

INSPECTOR_ROLE = "officer"


def parents(session: Session) -> dict[int, int | None]:
    """Every region's parent (one query)."""
    return dict(session.execute(select(Region.id, Region.parent_id)).all())


def ancestors(tree: dict[int, int | None], region_id: int) -> list[int]:
    """``region_id`` and every region above it, nearest first."""
    chain: list[int] = []
    current: int | None = region_id
    while current is not None and current not in chain:
        chain.append(current)
        current = tree.get(current)
    return chain


def below(tree: dict[int, int | None], region_id: int) -> set[int]:
    """``region_id`` and every region below it."""
    return {r for r in tree if region_id in ancestors(tree, r)}


def uncoded_colour(model: Model) -> str:
    """The colour whose rate an enterprise without a code gets: the scheme's middle colour
    (yellow in both schemes)."""
    colours = model.scheme.colours
    return colours[len(colours) // 2]


def rates_of(model: Model) -> dict[str, float]:
    """The rates of the scheme's colours (``[inspection_rates]`` of the model file)."""
    rates = {c: float(model.inspection_rates[c]) for c in model.scheme.colours}
    drawing.check_rates(rates)
    return rates


def candidates_in(session: Session, region: Region) -> list[tuple[Enterprise, str | None]]:
    """Every enterprise registered in ``region`` or below, by code, with its colour now."""
    ids = below(parents(session), region.id)
    rows = session.execute(
        select(Enterprise, GreenCode.colour)
        .outerjoin(GreenCode, GreenCode.enterprise_id == Enterprise.id)
        .where(Enterprise.region_id.in_(sorted(ids)))
        .order_by(Enterprise.code)
    ).all()
    return [(enterprise, colour) for enterprise, colour in rows]


def eligible_inspectors(
    session: Session, enterprises: Iterable[Enterprise]
) -> dict[int, list[tuple[int, str]]]:
    """For each enterprise, the active officers whose region scope covers it and who declared
    no conflict with it: ``[(user id, username)]`` by username."""
    tree = parents(session)
    officers = session.execute(
        select(User.id, User.username, User.region_id).where(
            User.role == INSPECTOR_ROLE, User.is_active.is_(True)
        )
    ).all()
    by_region: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for user_id, username, region_id in officers:
        if region_id is not None:
            by_region[region_id].append((user_id, username))
    conflicts = {
        (u, e)
        for u, e in session.execute(
            select(Conflict.inspector_id, Conflict.enterprise_id).where(
                Conflict.withdrawn_at.is_(None)
            )
        )
    }
    out: dict[int, list[tuple[int, str]]] = {}
    for enterprise in enterprises:
        found: list[tuple[int, str]] = []
        if enterprise.region_id is not None:
            for region_id in ancestors(tree, enterprise.region_id):
                found.extend(by_region.get(region_id, ()))
        out[enterprise.id] = sorted(
            {(u, n) for u, n in found if (u, enterprise.id) not in conflicts},
            key=lambda pair: pair[1],
        )
    return out
