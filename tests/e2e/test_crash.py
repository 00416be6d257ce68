"""A crash of the embedded default (issue 12): ``ecoradar serve`` on SQLite is killed (SIGKILL,
its gateway's child with it) in the middle of a burst of device packets and form posts, then
started again on the same data. Every packet the gateway answered and every request that got a
2xx is there, nothing is stored twice, and the audit chain verifies."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from ecoradar.bootstrap import bootstrap
from ecoradar.config import Settings
from ecoradar.simulate.served import Server, server_env, target_of
from ecoradar.simulate.workload import Workload
from tests.conftest import TEST_SECRET
from tests.e2e.workload_support import SERVER_SETTINGS, devices, stored

KILL_AFTER = 6.0


def test_after_a_kill_in_a_burst_everything_answered_is_stored_once_and_the_log_verifies(
    tmp_path: Path,
) -> None:
    server = Server(tmp_path, server_env(tmp_path, **SERVER_SETTINGS)).start()
    box = bootstrap(Settings(environment="test", secret_key=TEST_SECRET, home=tmp_path))
    try:
        work = Workload(
            target_of(server),
            seconds=KILL_AFTER + 30,  # until the kill, and then some: writers meet a dead server
            api_writers=1,
            form_writers=3,
            open311_writers=1,
            readers=0,
            pause=0.0,
            devices=devices(box, 40),
            device_rate=200.0,
            timeout=5.0,
        )
        running = threading.Thread(target=work.run)
        running.start()
        time.sleep(KILL_AFTER)
        before_kill = len(work.accepted.packets), len(work.accepted.clues)
        server.kill()
        work.stop()
        running.join(60)
        assert not running.is_alive()
        assert before_kill[0] > 0 and before_kill[1] > 0, work.figures
        server.start()  # the same home and database
        assert httpx.get(server.url + "/health").status_code == 200
        found = stored(box, work.accepted, work.tag)
        assert found.missing(work.accepted) == {"notes": [], "clues": [], "packets": []}
        assert found.doubled() == {"notes": [], "clues": [], "packets": []}
        # A device waits for each answer: when the server died, each had at most one packet
        # in flight, which may have been committed without its answer (the device sends it
        # again); nothing else may be stored.
        in_flight = len(work.devices)
        answered = len(work.accepted.packets)
        assert answered <= found.hours_with_values <= answered + in_flight
        for kind, figures in work.figures.items():
            assert figures.server_errors == 0, (kind, figures.summary(1))
        verified = server.command("audit", "verify")
        assert "ok" in verified.lower(), verified
    finally:
        server.stop()
        box.close()
