"""Shared setup for the inspection-draw tests: the small city (enterprise 1 in grid G1,
2 in G2, both under county A; 3 in county B), officers at each level, principals, photos."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from ecoradar.auth import service as accounts
from ecoradar.auth.models import User
from ecoradar.auth.principal import Principal
from ecoradar.bootstrap import Container
from ecoradar.greencode.model import Model, load_model
from ecoradar.inspections import results, service
from ecoradar.inspections.models import Draw
from ecoradar.media.inspect import MediaLimits
from ecoradar.media.service import store_upload
from ecoradar.problems.policy import load_policy
from tests.conftest import Login, create_login
from tests.factories import load_small_registry
from tests.integration.problem_support import jpeg

ALL = {"green": 1.0, "blue": 1.0, "yellow": 1.0, "red": 1.0, "black": 1.0}


def model_with(**rates: float) -> Model:
    """The built-in model with some inspection rates changed."""
    base = load_model()
    return dataclasses.replace(base, inspection_rates={**base.inspection_rates, **rates})


@dataclass(frozen=True)
class Staff:
    admin: Login
    city: Login
    county_a: Login
    township_a1: Login
    county_b: Login
    grid_worker: Login


def make_staff(box: Container) -> Staff:
    def user(name: str, role: str, region: str | None = None) -> Login:
        return create_login(box, role, username=name, region=region)

    return Staff(
        admin=user("admin", "admin"),
        city=user("c-officer", "officer", "C"),
        county_a=user("a-officer", "officer", "A"),
        township_a1=user("a1-officer", "officer", "A1"),
        county_b=user("b-officer", "officer", "B"),
        grid_worker=user("g1-worker", "grid_worker", "G1"),
    )


def city(box: Container, tmp_path: Path) -> Staff:
    load_small_registry(box, tmp_path)
    return make_staff(box)


def principal(box: Container, login: Login) -> Principal:
    with box.reading() as session:
        user = session.get(User, login.user_id)
        assert user is not None
        return accounts.principal_of(session=session, user=user)


def draw(
    box: Container,
    by: Login | None,
    *,
    period: str = "2026-12",
    region: str | None = "C",
    seed: str | None = "fixed-seed",
    model: Model | None = None,
    k: int = 2,
) -> int:
    who = principal(box, by) if by is not None else None
    with box.transaction() as session:
        row = service.make_draw(
            session=session,
            principal=who,
            period=period,
            region_code=region,
            model=model or model_with(**ALL),
            now=box.clock.now(),
            seed=seed,
            inspectors_per_inspection=k,
        )
        return row.id


def drawn(box: Container, draw_id: int) -> dict[str, tuple[str, list[str]]]:
    """enterprise code -> (state, inspector usernames in the order drawn)."""
    with box.reading() as session:
        row = session.get(Draw, draw_id)
        assert row is not None
        return {
            i.enterprise.code: (i.state, [p.username for p in i.inspectors])
            for i in row.inspections
        }


def inspection_of(box: Container, draw_id: int, code: str) -> int:
    with box.reading() as session:
        row = session.get(Draw, draw_id)
        assert row is not None
        return next(i.id for i in row.inspections if i.enterprise.code == code)


def photo(box: Container, login: Login, seed: int = 5) -> int:
    """A photo uploaded by ``login``'s user (theirs to attach)."""
    with box.transaction() as session:
        media = store_upload(
            session=session,
            home=box.settings.home,
            data=jpeg(seed),
            filename=f"site-{seed}.jpg",
            now=box.clock.now(),
            uploaded_by=principal(box, login).actor,
            limits=MediaLimits(),
        )
        return media.id


def record(box: Container, login: Login, inspection_id: int, result: results.ResultIn) -> None:
    who = principal(box, login)
    with box.transaction() as session:
        results.record_result(
            session=session,
            principal=who,
            inspection_id=inspection_id,
            result=result,
            now=box.clock.now(),
            index=box.regions.get(session),
            policy=load_policy(session=session, settings=box.settings),
        )


def user_id(box: Container, username: str) -> int:
    with box.reading() as session:
        found = session.scalar(select(User.id).where(User.username == username))
        assert found is not None
        return found
