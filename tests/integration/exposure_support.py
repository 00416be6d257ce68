"""Shared setup for the exposure tests: the small city's people, confirmed problems about its
enterprises, and each officer's own browser (a TestClient with a session and its CSRF token)."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from ecoradar.bootstrap import Container
from tests.conftest import Login, log_in
from tests.factories import load_small_registry
from tests.integration.problem_support import (
    IN_B,
    IN_G1,
    Driver,
    People,
    create_app_for,
    enterprise_id,
    jpeg,
    make_people,
    public_report,
)

ATOM = "{http://www.w3.org/2005/Atom}"
_seeds = itertools.count(100)


@dataclass
class Scene:
    box: Container
    people: People
    api: TestClient
    browsers: dict[str, tuple[TestClient, str]] = field(default_factory=dict)

    def browser(self, login: Login) -> tuple[TestClient, str]:
        """``login``'s own client, logged in, and its CSRF token."""
        if login.username not in self.browsers:
            client = TestClient(create_app_for(self.box))
            started = log_in(client, self.box, login)
            self.browsers[login.username] = (client, started.csrf_token)
        return self.browsers[login.username]

    def confirmed(self, serial: int = 1, *, category: str = "water") -> int:
        """A problem about enterprise ``serial`` (1 and 2 in county A, 3 in county B), reported
        by a member of the public with a name and a phone number, confirmed on site."""
        b = serial == 3
        officer = self.people.officer_b if b else self.people.officer_a
        drive = Driver(self.api, self.box, officer.headers)
        pid = public_report(
            self.box,
            reporter_user_id=self.people.reporter.user_id,
            place=IN_B if b else IN_G1,
            enterprise=enterprise_id(self.box, serial),
            category=category,
        )
        assignee = self.people.officer_b if b else self.people.worker_g1
        drive.to_confirmed(pid, assignee.user_id, jpeg(next(_seeds)))
        return pid

    def driver(self, pid_in_b: bool = False) -> Driver:
        officer = self.people.officer_b if pid_in_b else self.people.officer_a
        return Driver(self.api, self.box, officer.headers)

    def propose(self, login: Login, pid: int, text: str, days: int | str = "") -> Response:
        client, csrf = self.browser(login)
        return client.post(
            f"/exposure/propose/{pid}",
            data={"csrf_token": csrf, "text": text, "expiry_days": str(days)},
            follow_redirects=False,
        )

    def proposed(self, login: Login, pid: int, text: str, days: int | str = "") -> int:
        response = self.propose(login, pid, text, days)
        assert response.status_code == 303, response.text
        location = response.headers["location"]
        return int(location.split("/")[2].split("?")[0])

    def act(self, login: Login, entry: int, action: str, reason: str = "") -> Response:
        client, csrf = self.browser(login)
        return client.post(
            f"/exposure/{entry}/{action}",
            data={"csrf_token": csrf, "reason": reason},
            follow_redirects=False,
        )

    def published(self, pid: int, text: str, days: int | str = "") -> int:
        """Proposed by officer A, approved by the city's officer C."""
        entry = self.proposed(self.people.officer_a, pid, text, days)
        response = self.act(self.people.officer_c, entry, "approve")
        assert response.headers.get("location") == f"/exposure/{entry}?done=published"
        return entry


def build_scene(box: Container, tmp_path: Path) -> Scene:
    load_small_registry(box, tmp_path)
    people = make_people(box)
    return Scene(box, people, TestClient(create_app_for(box)))


def feed_entries(client: TestClient) -> list[dict[str, Any]]:
    """The Atom feed, parsed as XML: each entry's id, title and summary."""
    response = client.get("/public/exposure/feed.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}updated") is not None
    return [
        {
            "id": e.findtext(f"{ATOM}id"),
            "title": e.findtext(f"{ATOM}title"),
            "summary": e.findtext(f"{ATOM}summary"),
            "updated": e.findtext(f"{ATOM}updated"),
        }
        for e in root.iter(f"{ATOM}entry")
    ]
