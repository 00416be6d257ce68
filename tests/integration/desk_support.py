"""Shared setup for the clue desk's tests: the small city, its officers, clues in county A
(grid G1) and county B, and the principal of a user as a request would see it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ecoradar.auth.models import User
from ecoradar.auth.principal import Principal
from ecoradar.auth.service import principal_of
from ecoradar.bootstrap import Container
from ecoradar.clues.intake import ClueReceipt
from ecoradar.problems.models import Problem
from tests.conftest import Login, create_login
from tests.integration.clue_support import IN_B, clue, load_city, spot, submit


@dataclass(frozen=True)
class DeskPeople:
    admin: Login
    officer_a: Login
    officer_b: Login
    worker_g1: Login


def desk_people(box: Container, tmp_path: Path) -> DeskPeople:
    """The small city and its people (officer A covers county A, officer B county B)."""
    load_city(box, tmp_path)
    return DeskPeople(
        admin=create_login(box, "admin", username="desk-admin"),
        officer_a=create_login(box, "officer", region="A", username="desk-officer-a"),
        officer_b=create_login(box, "officer", region="B", username="desk-officer-b"),
        worker_g1=create_login(box, "grid_worker", region="G1", username="desk-worker-g1"),
    )


def principal(box: Container, login: Login) -> Principal:
    with box.reading() as session:
        user = session.get(User, login.user_id)
        assert user is not None
        return principal_of(session=session, user=user)


_clients = itertools.count(1)


def _client(over: dict[str, Any]) -> dict[str, Any]:
    """A client of its own (the anonymous channels' rate limit counts per client)."""
    return {"client": f"ip:198.51.100.{next(_clients) % 250 + 1}", **over}


def in_a(box: Container, **over: Any) -> ClueReceipt:
    """A clue of its own in county A (grid G1)."""
    return submit(box, clue(**_client(over)))


def in_b(box: Container, **over: Any) -> ClueReceipt:
    """A clue of its own in county B."""
    where = spot(IN_B)
    return submit(box, clue(lat=where["lat"], lon=where["lon"], **_client(over)))


def state_of(box: Container, problem_id: int) -> str:
    with box.reading() as session:
        found = session.scalar(select(Problem.state).where(Problem.id == problem_id))
        assert found is not None
        return found
