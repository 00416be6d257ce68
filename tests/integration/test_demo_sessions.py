"""At ``ecoradar demo --speed N`` the clock runs N times faster, but a login lasts its real
hours: the browser session's idle and absolute limits run on the container's session clock
(real time in the demo), not on the demo's clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ecoradar.auth import sessions
from ecoradar.bootstrap import Container, bootstrap
from ecoradar.config import Settings
from ecoradar.core.clock import FakeClock, ScaledClock
from ecoradar.web.app import create_app
from tests.conftest import START, USER_PASSWORD, create_login
from tests.factories import load_small_registry

SPEED = 3600.0
"""An hour of the demo each real second."""


class Monotonic:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds


@pytest.fixture
def demo_box(settings: Settings, tmp_path: Path) -> Iterator[tuple[Container, Monotonic]]:
    monotonic = Monotonic()
    box = bootstrap(
        settings,
        clock=ScaledClock(START, SPEED, monotonic=monotonic),
        session_clock=FakeClock(START),
    )
    load_small_registry(box, tmp_path)
    yield box, monotonic
    box.close()


def test_a_login_lasts_its_real_hours_while_the_demo_clock_runs_fast(
    demo_box: tuple[Container, Monotonic],
) -> None:
    box, monotonic = demo_box
    real = box.session_clock
    assert isinstance(real, FakeClock)
    create_login(box, "officer", region="A", username="alice")
    with TestClient(create_app(box)) as client:
        answer = client.post(
            "/login",
            data={"username": "alice", "password": USER_PASSWORD},
            follow_redirects=False,
        )
        assert answer.status_code == 303 and sessions.COOKIE in client.cookies
        assert client.get("/api/auth/me").status_code == 200
        monotonic.seconds += 60  # a minute: sixty hours of the demo, past the idle limit
        assert box.clock.now() - START > sessions.IDLE
        assert client.get("/api/auth/me").status_code == 200
        real.advance(sessions.IDLE + timedelta(minutes=1))  # idle for real
        assert client.get("/api/auth/me").status_code == 401


def test_without_a_session_clock_sessions_run_on_the_clock(container: Container) -> None:
    assert container.session_clock is None
    assert container.session_now() == container.clock.now()
