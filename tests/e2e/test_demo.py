"""``ecoradar demo`` as a person runs it: a small city at high speed in a temporary home, until
every channel has produced findings that the statistics API shows; ``ecoradar alerts export``
and ``ecoradar clues export`` read its database while it runs; stopped with Ctrl-C, and
started again where it was."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import IO

import httpx

from ecoradar.simulate.served import free_port, server_env

CHANNELS = {"monitoring", "public", "grid_worker", "drone", "self_inspection", "power"}
"""Channels the demo's city must have found problems through."""
WAIT = 420.0


class Demo:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.port, self.gateway = free_port(), free_port()
        self.log = home / "demo.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.output: IO[bytes] | None = None

    def env(self) -> dict[str, str]:
        return server_env(self.home, gateway_port=self.gateway)

    def start(self) -> str:
        """Start it; returns what it printed up to its "open" line."""
        self.output = self.log.open("ab")
        command = [sys.executable, "-m", "ecoradar", "demo", "--speed", "7200"]
        command += ["--enterprises", "16", "--days", "3", "--port", str(self.port)]
        self.process = subprocess.Popen(
            command, env=self.env(), stdout=self.output, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            text = self.log.read_text()
            if text.count("EcoRadar demo: open") > self.starts:
                self.starts += 1
                return text
            assert self.process.poll() is None, text
            time.sleep(0.5)
        raise AssertionError(self.log.read_text())

    starts = 0

    def stop(self) -> int:
        assert self.process is not None and self.output is not None
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(60)
        self.output.close()
        return code

    def cli(self, *args: str) -> list[dict[str, object]]:
        done = subprocess.run(
            [sys.executable, "-m", "ecoradar", *args],
            env=self.env(),
            capture_output=True,
            check=True,
            timeout=120,
        )
        return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def test_the_demo_runs_every_channel_and_continues_after_a_restart(tmp_path: Path) -> None:
    demo = Demo(tmp_path)
    printed = demo.start()
    try:
        passwords = dict(re.findall(r"^  (\S+) +\S+ +\S+ +(\S+)$", printed, re.M))
        assert {"admin", "officer", "gridworker", "enterprise", "deputy", "citizen"} <= set(
            passwords
        )
        base = f"http://127.0.0.1:{demo.port}"
        token = httpx.post(
            base + "/api/auth/token", json={"username": "admin", "password": passwords["admin"]}
        ).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        live_from = json.loads((tmp_path / "demo.json").read_text())["at"]
        found: dict[str, int] = {}
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            answer = httpx.get(base + "/api/stats/discovery", headers=headers, timeout=30)
            assert answer.status_code == 200, answer.text
            found = {
                row["channel"]: row["problems_found"] + row["clues_received"]
                for row in answer.json()["channels"]
            }
            if all(found.get(channel, 0) > 0 for channel in CHANNELS):
                break
            time.sleep(3)
        assert all(found.get(channel, 0) > 0 for channel in CHANNELS), found
        # the CLI reads the running demo's database
        alerts = demo.cli("alerts", "export")
        clues = demo.cli("clues", "export")
        assert any(a["kind"] == "exceedance" for a in alerts)
        assert {c["channel"] for c in clues} >= {"public", "grid_worker", "drone"}
        # the simulator's data never comes from the platform's future
        late = [
            a
            for a in alerts
            if a["kind"] == "time_anomaly"
            and datetime.fromisoformat(str(a["start"])) >= datetime.fromisoformat(live_from)
        ]
        assert late == []
    finally:
        code = demo.stop()
    log = demo.log.read_text()
    assert code == 0, log
    assert "Traceback" not in log and "Exception in ASGI" not in log, log
    stopped_at = datetime.fromisoformat(json.loads((tmp_path / "demo.json").read_text())["at"])
    assert stopped_at > datetime.fromisoformat(live_from)
    # started again: no new city, the clock continues from where it stopped
    again = demo.start()[len(log) :]
    try:
        assert "city and" not in again and "demo accounts (development only" not in again
        shown = re.search(r"time runs \S+ from (\d{4}-\d\d-\d\d \d\d:\d\d)", again)
        assert shown is not None, again
        assert shown.group(1) == f"{stopped_at:%Y-%m-%d %H:%M}"
    finally:
        assert demo.stop() == 0
    assert "Traceback" not in demo.log.read_text()
