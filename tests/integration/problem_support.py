"""Shared setup for the problem-register tests: people, places, photos, and a "world" of two
problems in well-known states with every kind of principal around them."""

from __future__ import annotations

import io
import itertools
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import ExifTags, Image, ImageDraw
from PIL.TiffImagePlugin import IFDRational
from sqlalchemy import select

from ecoradar.auth import passwords, tokens
from ecoradar.bootstrap import Container
from ecoradar.problems.intake import FindingIn, record_finding
from ecoradar.problems.policy import load_policy
from ecoradar.registry.models import Enterprise
from tests.conftest import FAST_HASHER, Login, create_login
from tests.factories import CITY_ORIGIN, load_small_registry, uscc

X0, Y0 = CITY_ORIGIN
IN_G1 = {"lat": Y0 + 0.5, "lon": X0 + 0.25}
"""A place in grid G1 (township A1, county A, city C)."""
IN_G2 = {"lat": Y0 + 0.5, "lon": X0 + 0.75}
"""A place in grid G2 (township A1, county A)."""
IN_B = {"lat": Y0 + 1.0, "lon": X0 + 3.0}
"""A place in county B."""
REPORTER_NAME = "欧阳举报人"
REPORTER_CONTACT = "13987654321"
"""The anonymous-to-everyone-else reporter's identity: no response but /reporters may hold it."""
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXIF_LAT, EXIF_LON = 30.123456, 120.654321
"""Where the GPS-tagged photo claims it was taken."""

_serials = itertools.count(1)


def headers(login: Login) -> dict[str, str]:
    return login.headers


def jpeg(seed: int, size: tuple[int, int] = (96, 72)) -> bytes:
    """A small picture, different for every seed (so it is stored as its own file)."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.rectangle((x, y, x + rng.randrange(5, 40), y + rng.randrange(5, 40)), fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _dms(value: float) -> tuple[IFDRational, ...]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60 * 10_000)
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(seconds, 10_000)


def jpeg_with_gps(seed: int = 99) -> bytes:
    """A photo whose EXIF holds a GPS position (``EXIF_LAT``, ``EXIF_LON``) and a camera."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.Base.Model] = "SN-4711"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: _dms(EXIF_LAT),
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: _dms(EXIF_LON),
        }
    )
    image = Image.open(io.BytesIO(jpeg(seed)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


@contextmanager
def fast_hashing() -> Iterator[None]:
    """Cheap password hashes outside the function-scoped autouse fixture (module fixtures)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "HASHER", FAST_HASHER)
        yield


# --- people ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class People:
    """Everyone around the problems of the small city (enterprise 1 lies in G1, 2 in G2)."""

    admin: Login
    officer_a: Login
    officer_b: Login
    officer_c: Login
    worker_g1: Login
    worker_g2_assigned: Login
    worker_g2: Login
    enterprise: Login
    other_enterprise: Login
    reporter: Login
    other_public: Login
    departments: dict[str, str]
    drones: dict[str, str]


def integration_token(box: Container, name: str, scope: str) -> dict[str, str]:
    """The bearer header of a new integration token (no user) with one scope."""
    with box.transaction() as session:
        issued = tokens.create_token(
            session=session, name=name, scopes=[scope], now=box.clock.now()
        )
        return {"Authorization": f"Bearer {issued.secret}"}


def make_people(box: Container) -> People:
    def user(name: str, role: str, **scope: str) -> Login:
        return create_login(box, role, username=name, **scope)  # type: ignore[arg-type]

    return People(
        admin=user("admin", "admin"),
        officer_a=user("officer-a", "officer", region="A"),
        officer_b=user("officer-b", "officer", region="B"),
        officer_c=user("officer-c", "officer", region="C"),
        worker_g1=user("worker-g1", "grid_worker", region="G1"),
        worker_g2_assigned=user("worker-g2a", "grid_worker", region="G2"),
        worker_g2=user("worker-g2b", "grid_worker", region="G2"),
        enterprise=user("company-1", "enterprise", enterprise=uscc(1)),
        other_enterprise=user("company-2", "enterprise", enterprise=uscc(2)),
        reporter=user("citizen-r", "public"),
        other_public=user("citizen-x", "public"),
        departments=integration_token(box, "dept-water", "departments"),
        drones=integration_token(box, "drone-east", "drones"),
    )


# --- problems -------------------------------------------------------------------------------


def enterprise_id(box: Container, serial: int) -> int:
    with box.transaction() as session:
        found = session.scalar(select(Enterprise.id).where(Enterprise.code == uscc(serial)))
        assert found is not None
        return found


def public_report(
    box: Container,
    *,
    reporter_user_id: int | None,
    place: dict[str, float] | None = None,
    enterprise: int | None = None,
    name: str | None = REPORTER_NAME,
    contact: str | None = REPORTER_CONTACT,
    category: str = "water",
    channel: str = "public",
    **extra: Any,
) -> int:
    """A report by a member of the public (or another ``channel``), recorded through the
    intake service; its problem."""
    where = place or IN_G1
    with box.transaction() as session:
        result = record_finding(
            session=session,
            index=box.regions.get(session),
            item=FindingIn(
                channel=channel,
                category=category,
                lat=where["lat"],
                lon=where["lon"],
                observed_at=box.clock.now() - timedelta(hours=1),
                description="河里有黑水排出",
                source_ref=f"report-{next(_serials)}",
                enterprise_id=enterprise,
                reporter_user_id=reporter_user_id,
                reporter_name=name,
                reporter_contact=contact,
                **extra,
            ),
            now=box.clock.now(),
            actor="system:test",
            policy=load_policy(session=session, settings=box.settings),
        )
        return result.problem.id


@dataclass
class Driver:
    """Moves a problem through the workflow over the API, asserting every step succeeds."""

    client: TestClient
    box: Container
    officer: dict[str, str]
    worker: dict[str, str] | None = None
    media: dict[str, int] = field(default_factory=dict)

    def act(self, pid: int, action: str, who: dict[str, str] | None = None, **body: Any) -> Any:
        response = self.client.post(
            f"/api/problems/{pid}/actions/{action}", json=body, headers=who or self.officer
        )
        assert response.status_code == 200, (action, response.text)
        return response.json()

    def upload(
        self,
        pid: int,
        data: bytes,
        who: dict[str, str] | None = None,
        *,
        purpose: str = "evidence",
        public: bool = False,
        name: str = "photo.jpg",
    ) -> int:
        response = self.client.post(
            f"/api/problems/{pid}/attachments",
            files={"file": (name, data, "application/octet-stream")},
            data={"purpose": purpose, "public": str(public).lower()},
            headers=who or self.officer,
        )
        assert response.status_code == 201, response.text
        media_id: int = response.json()["media_id"]
        return media_id

    def onsite(self, photo: int, when: datetime | None = None) -> dict[str, Any]:
        return {
            "at": (when or self.box.clock.now()).isoformat(),
            **IN_G1,
            "photo_ids": [photo],
            "text": "现场确认排污口有黑水",
        }

    def to_verifying(self, pid: int, assignee: int) -> None:
        self.act(pid, "accept")
        self.act(pid, "assign", assignee_id=assignee)
        self.act(pid, "start_verification")

    def to_confirmed(self, pid: int, assignee: int, photo: bytes) -> int:
        self.to_verifying(pid, assignee)
        media = self.upload(pid, photo, purpose="onsite")
        self.act(pid, "confirm", onsite=self.onsite(media))
        return media

    def order(self, pid: int, days: int = 10) -> None:
        due = self.box.clock.now() + timedelta(days=days)
        self.act(
            pid, "order_rectification", requirement="停产整改", rectification_due=due.isoformat()
        )

    def to_closed(self, pid: int, assignee: int, photo: bytes) -> int:
        media = self.to_confirmed(pid, assignee, photo)
        self.order(pid)
        self.act(pid, "report_rectified", evidence={"text": "已整改", "attachment_ids": [media]})
        self.act(pid, "close")
        return media


# --- the world of the authorization matrix and the privacy crawl ----------------------------


@dataclass(frozen=True)
class World:
    """Two problems in grid G1 about enterprise 1, both reported by ``people.reporter`` (with a
    name and contact), assigned to ``worker_g2_assigned`` (assigned while the problem was in
    G2, then moved back) and each with an internal on-site photo, a public photo, an internal
    and a public note: ``p`` ordered to rectify (the enterprise sees it), ``q`` confirmed (the
    enterprise does not see it yet)."""

    people: People
    p: int
    q: int
    internal_photo: int
    public_photo: int
    gps_photo: int
    """Uploaded to ``p`` by its assignee (internal), from a photo with an EXIF position."""
    photos: dict[int, dict[str, int]]
    """Each problem's own uploads (``internal``, ``public``, ``gps``): every upload is a file of
    its own, so ``q``'s photos have ids of their own."""
    internal_note: str = "内部：疑似夜间偷排，勿外传"
    public_note: str = "已安排核查"


def build_world(box: Container, tmp_path: Path) -> World:
    load_small_registry(box, tmp_path)
    people = make_people(box)
    client = TestClient(create_app_for(box))
    officer = people.officer_a.headers
    worker = people.worker_g2_assigned
    drive = Driver(client, box, officer, worker.headers)
    company = enterprise_id(box, 1)
    made: dict[str, int] = {}
    photos: dict[int, dict[str, int]] = {}
    for key in ("p", "q"):
        pid = public_report(box, reporter_user_id=people.reporter.user_id, enterprise=company)
        drive.act(pid, "accept")
        move = {"region_code": "G2", "reason": "先转网格G2核查"}
        assert client.post(f"/api/problems/{pid}/region", json=move, headers=officer).is_success
        drive.act(pid, "assign", assignee_id=worker.user_id)
        back = {"region_code": "G1", "reason": "位置核对后属G1"}
        assert client.post(f"/api/problems/{pid}/region", json=back, headers=officer).is_success
        drive.act(pid, "start_verification", worker.headers)
        internal = drive.upload(pid, jpeg(1), worker.headers, purpose="onsite")
        drive.act(pid, "confirm", worker.headers, onsite=drive.onsite(internal))
        photos[pid] = {
            "internal": internal,
            "public": drive.upload(pid, jpeg(2), public=True),
            "gps": drive.upload(pid, jpeg_with_gps(), worker.headers, purpose="evidence"),
        }
        for words, visibility in (
            (World.internal_note, "internal"),
            (World.public_note, "public"),
        ):
            body = {"text": words, "visibility": visibility}
            assert client.post(f"/api/problems/{pid}/notes", json=body, headers=officer).is_success
        made[key] = pid
    drive.order(made["p"])
    return World(
        people=people,
        p=made["p"],
        q=made["q"],
        internal_photo=photos[made["p"]]["internal"],
        public_photo=photos[made["p"]]["public"],
        gps_photo=photos[made["p"]]["gps"],
        photos=photos,
    )


def create_app_for(box: Container) -> Any:
    from ecoradar.web.app import create_app

    return create_app(box)


# --- monitoring alerts ------------------------------------------------------------------------


def add_alert(
    box: Container,
    mn: str,
    *,
    kind: str = "exceedance",
    factor: str | None = None,
    start: datetime | None = None,
    severity: str = "high",
) -> int:
    """One alert at the point ``mn`` (committed); ``factor`` None: device level."""
    from ecoradar.detection.models import DEVICE_LEVEL, Alert
    from ecoradar.registry.models import MonitoringPoint

    now = box.clock.now()
    with box.transaction() as session:
        point = session.scalar(select(MonitoringPoint).where(MonitoringPoint.mn == mn))
        assert point is not None, mn
        alert = Alert(
            point_id=point.id,
            factor=DEVICE_LEVEL if factor is None else factor,
            kind=kind,
            start=start or now - timedelta(hours=3),
            end=None,
            severity=severity,
            evidence={"rule": kind, "values": [88.0, 91.5]},
            raised_at=now,
            updated_at=now,
        )
        session.add(alert)
        session.flush()
        return alert.id
