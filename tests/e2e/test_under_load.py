"""The embedded default (and PostgreSQL) under its own load: ``ecoradar serve`` — web app,
HJ 212 gateway and scheduler in one process — while devices stream hourly data and several
clients write through the API, the forms (the public report, the login) and Open311 at once.
No answer is a 5xx, and everything accepted is stored, once (issue 12)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ecoradar.bootstrap import Container, bootstrap
from ecoradar.config import Settings
from ecoradar.simulate.served import Server, server_env, target_of
from ecoradar.simulate.workload import Workload
from tests.conftest import TEST_SECRET
from tests.e2e.workload_support import SERVER_SETTINGS, devices, stored

SECONDS = 20.0
DEVICES = 30


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[Server, Container]]:
    server = Server(tmp_path, server_env(tmp_path, database_url, **SERVER_SETTINGS))
    box = bootstrap(
        Settings(
            environment="test", secret_key=TEST_SECRET, home=tmp_path, database_url=database_url
        )
    )
    try:
        yield server.start(), box
    finally:
        server.stop()
        box.close()


def test_no_request_fails_and_everything_accepted_is_stored_while_all_write_at_once(
    served: tuple[Server, Container],
) -> None:
    server, box = served
    work = Workload(
        target_of(server),
        seconds=SECONDS,
        api_writers=2,
        form_writers=2,
        open311_writers=2,
        readers=1,
        pause=0.0,
        devices=devices(box, DEVICES),
        device_rate=60.0,
    )
    took = work.run()
    figures = {kind: f.summary(took) for kind, f in work.figures.items()}
    for kind, f in work.figures.items():
        assert f.server_errors == 0, (kind, figures)
        assert not f.transport_errors, (kind, figures)
        assert f.latencies, f"no {kind} request was answered: {figures}"
    accepted = work.accepted
    assert accepted.notes and accepted.clues and accepted.packets and accepted.logins, figures
    found = stored(box, accepted, work.tag)
    assert found.missing(accepted) == {"notes": [], "clues": [], "packets": []}
    assert found.doubled() == {"notes": [], "clues": [], "packets": []}
    assert found.hours_with_values == len(accepted.packets)
    assert "Traceback" not in server.log.read_text()
