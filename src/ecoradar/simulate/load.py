"""Load the sample city the way a user would: write its files, then run the importers; and, in
development, the demo accounts that let a person log in to it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from ecoradar.auth import service as accounts
from ecoradar.auth.models import User
from ecoradar.bootstrap import Container
from ecoradar.core.errors import ConfigurationError
from ecoradar.regions import service as regions
from ecoradar.regions.models import Region
from ecoradar.registry import service as registry
from ecoradar.registry.models import Enterprise
from ecoradar.simulate.city import write_sample_city
from ecoradar.simulate.sample_stations import load_sample_stations


@dataclass(frozen=True)
class LoadedCity:
    regions: int
    enterprises: int
    points: int
    stations: int = 0
    """Ambient stations (``simulate.sample_stations``)."""
    meters: int = 0
    """Power meters registered for sample enterprises."""


def load_sample_city(box: Container, directory: Path, *, enterprises: int = 500) -> LoadedCity:
    """Write the sample city under ``directory`` and import it into ``box``'s database."""
    files = write_sample_city(directory, enterprises=enterprises)
    features = regions.read_regions_file(files.regions)
    with box.transaction() as session:
        regions.import_regions(
            session=session, features=features, source=str(files.regions), now=box.clock.now()
        )
    with box.transaction() as session:
        summary = registry.import_registry(
            session=session,
            enterprises=files.enterprises,
            points=files.points,
            regions=box.regions,
            now=box.clock.now(),
        )
    extra = load_sample_stations(box, directory, files.regions)
    return LoadedCity(
        len(features), summary.enterprises_created, summary.points, extra.stations, extra.meters
    )


@dataclass(frozen=True)
class DemoAccount:
    """A demo user made for the sample city, with its password (shown once)."""

    username: str
    role: str
    scope: str
    password: str


def ensure_demo_accounts(box: Container, *, enterprise: str | None = None) -> list[DemoAccount]:
    """The demo users of the sample city, each made if missing with a random password:
    ``admin``; ``officer`` of the top city; ``gridworker`` of its first grid; ``enterprise``
    of ``enterprise`` (default: the first); ``deputy``, a people's deputy supervising the
    city; ``citizen``, a registered member of the public. Returns the ones made now (with
    their passwords). Development only: refused in any other environment."""
    if box.settings.environment != "development":
        raise ConfigurationError(
            "demo accounts are made in development only, "
            f"not with ECORADAR_ENVIRONMENT={box.settings.environment}"
        )
    made: list[DemoAccount] = []
    with box.transaction() as session:
        city = session.scalar(select(Region).where(Region.level == "city").order_by(Region.code))
        grid = session.scalar(select(Region).where(Region.level == "grid").order_by(Region.code))
        company = enterprise or session.scalar(select(Enterprise.code).order_by(Enterprise.code))
        company_name = session.scalar(select(Enterprise.name).where(Enterprise.code == company))
        wanted: list[tuple[str, str, str, dict[str, str]]] = [
            ("admin", "admin", "管理员（演示）", {}),
            ("citizen", "public", "热心市民（演示）", {}),
        ]
        if city is not None:
            wanted.append(
                ("officer", "officer", f"{city.name}执法人员（演示）", {"region": city.code})
            )
            wanted.append(
                (
                    "deputy",
                    "supervisor",
                    f"{city.name}人大代表（演示）",
                    {
                        "region": city.code,
                        "supervisor_kind": "deputy",
                        "organisation": f"{city.name}人民代表大会",
                    },
                )
            )
        if grid is not None:
            wanted.append(
                ("gridworker", "grid_worker", f"{grid.name}网格员（演示）", {"region": grid.code})
            )
        if company is not None:
            label = f"{company_name or company}（演示）"
            wanted.append(("enterprise", "enterprise", label, {"enterprise": company}))
        existing = set(session.scalars(select(User.username)))
        for username, role, name, fields in wanted:
            if username in existing:
                continue
            password = secrets.token_urlsafe(12)
            accounts.create_user(
                session=session,
                username=username,
                role=role,
                password=password,
                now=box.clock.now(),
                display_name=name,
                **fields,
            )
            scope = fields.get("region") or fields.get("enterprise") or "all"
            made.append(DemoAccount(username, role, scope, password))
    return made
