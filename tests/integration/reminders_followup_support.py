"""A problem being rectified, for the rectification_due trigger."""

from __future__ import annotations

from datetime import datetime

from ecoradar.bootstrap import Container
from ecoradar.problems.intake import FindingIn, record_finding
from ecoradar.problems.policy import load_policy
from ecoradar.registry.models import Enterprise
from tests.integration import reminders_support as rs


def rectifying_problem(box: Container, *, due: datetime, serial: int = 1) -> int:
    with box.transaction() as session:
        e = session.get(Enterprise, rs.enterprise_id(box, serial))
        assert e is not None
        recorded = record_finding(
            session=session,
            index=box.regions.get(session),
            item=FindingIn(
                channel="department", category="water", lat=e.latitude, lon=e.longitude,
                observed_at=box.clock.now(), title="雨水排口异常", enterprise_id=e.id,
                source_ref="test:rectify",
            ),
            now=box.clock.now(),
            actor="cli:test",
            policy=load_policy(session=session, settings=box.settings),
        )  # fmt: skip
        problem = recorded.problem
        problem.state = "rectifying"
        problem.rectification_due = due
        return problem.id
