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


@dataclass(frozen=True)
class LoadedCity:
    regions: int
    enterprises: int
    points: int


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
    return LoadedCity(len(features), summary.enterprises_created, summary.points)


@dataclass(frozen=True)
class DemoAccount:
    """A demo user made for the sample city, with its password (shown once)."""

    username: str
    role: str
    scope: str
    password: str


def ensure_demo_accounts(box: Container) -> list[DemoAccount]:
    """The demo users of the sample city, each made if missing with a random password:
    ``admin``; ``officer`` of the top city; ``gridworker`` of its first grid; ``enterprise``
    of its first enterprise. Returns the ones made now (with their passwords). Development
    only: refused in any other environment."""
    if box.settings.environment != "development":
        raise ConfigurationError(
            "demo accounts are made in development only, "
            f"not with ECORADAR_ENVIRONMENT={box.settings.environment}"
        )
    made: list[DemoAccount] = []
    with box.transaction() as session:
        city = session.scalar(select(Region).where(Region.level == "city").order_by(Region.code))
        grid = session.scalar(select(Region).where(Region.level == "grid").order_by(Region.code))
        enterprise = session.scalar(select(Enterprise).order_by(Enterprise.code))
        wanted: list[tuple[str, str, str, str | None, str | None]] = [
            ("admin", "admin", "管理员（演示）", None, None)
        ]
        if city is not None:
            wanted.append(("officer", "officer", f"{city.name}执法人员（演示）", city.code, None))
        if grid is not None:
            wanted.append(
                ("gridworker", "grid_worker", f"{grid.name}网格员（演示）", grid.code, None)
            )
        if enterprise is not None:
            wanted.append(
                ("enterprise", "enterprise", f"{enterprise.name}（演示）", None, enterprise.code)
            )
        existing = set(session.scalars(select(User.username)))
        for username, role, name, region, company in wanted:
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
                region=region,
                enterprise=company,
            )
            made.append(DemoAccount(username, role, region or company or "all", password))
    return made
