"""``ecoradar serve`` in a process of its own, as people run it, for the load and fault tests and
the concurrency benchmark: start it on free ports, log in with the demo accounts it prints, kill
it as a crash would, start it again on the same data; and who the workload
(:mod:`ecoradar.simulate.workload`) acts as there."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from ecoradar.simulate.workload import Target

STARTUP_SECONDS = 180


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    """A running ``ecoradar serve --load-sample`` (development: it prints demo accounts)."""

    home: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    gateway_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    _log: IO[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.home / "serve.log"

    def start(self) -> Server:
        """Start it (again, on the same home and database) and wait until it answers."""
        self.starts += 1
        self._log = self.log.open("a")
        self._log.write(f"\n==== start {self.starts}\n")
        self._log.flush()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ecoradar", "serve", "--load-sample", "--port", str(self.port)],
            env={**self.env, "ECORADAR_GATEWAY_PORT": str(self.gateway_port)},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: a crash kills the gateway's child too
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"ecoradar serve exited: {self.log.read_text()}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"ecoradar serve did not answer: {self.log.read_text()}")
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL the server and every process it started, as a crash would."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._close_log()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def passwords(self) -> dict[str, str]:
        """The demo accounts' passwords, as printed at the first start."""
        text = self.log.read_text()
        assert "demo accounts (development only" in text, text
        return dict(re.findall(r"^  (\S+) +\S+ +\S+ +(\S+)$", text, re.M))

    def headers(self, username: str = "admin") -> dict[str, str]:
        """Log in through the API (``POST /api/auth/token``): the bearer header."""
        answer = httpx.post(
            self.url + "/api/auth/token",
            json={"username": username, "password": self.passwords()[username]},
            timeout=30,  # a loaded machine may be slow; what is tested here is not the time
        )
        assert answer.status_code == 201, answer.text
        return {"Authorization": f"Bearer {answer.json()['token']}"}

    def command(self, *args: str) -> str:
        """``ecoradar ARGS`` on this server's home and database; its standard output."""
        done = subprocess.run(
            [sys.executable, "-m", "ecoradar", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout


def server_env(home: Path, database_url: str | None = None, **settings: Any) -> dict[str, str]:
    """The environment of a development server under ``home`` (SQLite there, or
    ``database_url``), with ``ECORADAR_<NAME>`` settings."""
    env = {**os.environ, "ECORADAR_HOME": str(home), "ECORADAR_ENVIRONMENT": "development"}
    env.pop("ECORADAR_DATABASE_URL", None)
    if database_url is not None:
        env["ECORADAR_DATABASE_URL"] = database_url
    env.update({f"ECORADAR_{name.upper()}": str(value) for name, value in settings.items()})
    return env


def target_of(server: Server, *, problems: int = 4) -> Target:
    """Who the workload acts as on ``server``: the admin's token for the API, the officer for
    the login form, a new Open311 key; places at enterprises; a few problems to note."""
    admin = server.headers("admin")
    out = server.command("open311", "keys", "create", "--name", f"load-{server.starts}")
    key = re.search(r"[A-Za-z0-9_\-]{30,}", out)
    assert key is not None, out
    features = httpx.get(server.url + "/api/enterprises.geojson", headers=admin).json()["features"]
    places = [(f["geometry"]["coordinates"][1], f["geometry"]["coordinates"][0]) for f in features]
    problem_ids = []
    for lat, lon in places[:problems]:
        answer = httpx.post(
            server.url + "/api/clues/officer",
            headers=admin,
            json={
                "channel": "inspection",
                "category": "water",
                "lat": lat,
                "long": lon,
                "observed_at": "2026-12-01T10:00:00+08:00",
                "description": "巡查发现排口水色异常",
            },
        )
        assert answer.status_code == 201, answer.text
        problem_ids.append(answer.json()["problem_id"])
    return Target(
        url=server.url,
        gateway=("127.0.0.1", server.gateway_port),
        officer_token=admin["Authorization"].removeprefix("Bearer "),
        login=("officer", server.passwords()["officer"]),
        open311_key=key.group(0),
        places=places[:50],
        problem_ids=problem_ids,
    )
