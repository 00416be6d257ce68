"""Shared setup for the praise tests: a month of the small city's grid workers and reporters.

In November 2026 (the clock's month), all in county A (city C):

- P1 (G1, water): found first by grid worker G1, then the registered reporter ``citizen-r``
  reported it too; routed to G1, who confirmed it 2 hours later. G1 also ended a patrol.
- P2 (G2, air): found first by a reporter known by name and phone (欧阳举报人), then grid
  worker ``worker-g2b`` reported it too; routed to ``worker-g2a``, who confirmed it 4 hours
  later.
- P3 (G2, noise): reported by ``worker-g2b``, rejected by the officer.

So in county A: G1 scores 1 + 3 + 2 + 5 = 11 (patrol, found, first, share 1), ``worker-g2b``
3 + 2.5 = 5.5 (found P2, share 1 of 2), ``worker-g2a`` 0 (one verification, 4 h); the reporter
欧阳举报人 3 + 2 = 5, ``citizen-r`` 3.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import cast

from fastapi.testclient import TestClient

from ecoradar.bootstrap import Container
from ecoradar.core.clock import FakeClock
from ecoradar.praise.facts import contact_key
from tests.factories import load_small_registry
from tests.integration.problem_support import (
    IN_G1,
    IN_G2,
    REPORTER_CONTACT,
    REPORTER_NAME,
    Driver,
    People,
    create_app_for,
    jpeg,
    make_people,
    public_report,
)

MONTH = "2026-11"


@dataclass(frozen=True)
class PraiseScene:
    box: Container
    people: People
    api: TestClient
    p1: int
    p2: int
    p3: int

    @property
    def contact_person(self) -> str:
        return contact_key(REPORTER_CONTACT, self.box.settings.secret_key)


def _advance(box: Container, hours: float) -> None:
    cast(FakeClock, box.clock).advance(timedelta(hours=hours))


def _patrol(api: TestClient, headers: dict[str, str]) -> None:
    started = api.post("/api/patrols", headers=headers)
    assert started.status_code == 201, started.text
    ended = api.post(f"/api/patrols/{started.json()['id']}/end", json={"note": ""}, headers=headers)
    assert ended.status_code == 200, ended.text


def build_praise_scene(box: Container, tmp_path: Path) -> PraiseScene:
    load_small_registry(box, tmp_path)
    people = make_people(box)
    api = TestClient(create_app_for(box))
    drive = Driver(api, box, people.officer_a.headers)
    worker = {"name": None, "contact": None, "channel": "grid_worker"}

    p1 = public_report(box, reporter_user_id=people.worker_g1.user_id, place=IN_G1, **worker)
    _advance(box, 1)
    public_report(
        box, reporter_user_id=people.reporter.user_id, place=IN_G1, attach_to=p1, name=None,
        contact=None,
    )  # fmt: skip
    p2 = public_report(
        box, reporter_user_id=None, place=IN_G2, category="air", name=REPORTER_NAME,
        contact=REPORTER_CONTACT,
    )  # fmt: skip
    _advance(box, 1)
    public_report(
        box, reporter_user_id=people.worker_g2.user_id, place=IN_G2, category="air",
        attach_to=p2, **worker,
    )  # fmt: skip
    p3 = public_report(
        box, reporter_user_id=people.worker_g2.user_id, place=IN_G2, category="noise", **worker
    )
    drive.act(p3, "reject", reason="不属于环境问题")

    for pid, assignee, hours in ((p1, people.worker_g1, 2), (p2, people.worker_g2_assigned, 4)):
        drive.act(pid, "accept")
        drive.act(pid, "assign", assignee_id=assignee.user_id)
        _advance(box, hours)
        drive.act(pid, "start_verification", assignee.headers)
        photo = drive.upload(pid, jpeg(pid), assignee.headers, purpose="onsite")
        drive.act(pid, "confirm", assignee.headers, onsite=drive.onsite(photo))
    _patrol(api, people.worker_g1.headers)
    return PraiseScene(box, people, api, p1, p2, p3)
