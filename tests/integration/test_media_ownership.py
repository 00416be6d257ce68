"""Uploads belong to their uploader: a copy of the bureau's photo stripped of its EXIF gets
nothing of the original (no position, time or id), and citing a file that is not one's own is
refused exactly like citing a file that does not exist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ecoradar.bootstrap import Container
from ecoradar.core.clock import FakeClock
from ecoradar.media.models import MediaFile
from ecoradar.problems.models import ProblemAttachment
from ecoradar.selfcheck.models import SelfcheckTask
from tests.factories import load_small_registry
from tests.integration.problem_support import (
    Driver,
    People,
    create_app_for,
    enterprise_id,
    jpeg,
    make_people,
    public_report,
)
from tests.integration.selfcheck_support import generate, load_points, point_id, point_row
from tests.unit.test_media_inspect import dms, gps_ifd, strip_exif, with_exif

TODAY = date(2026, 11, 2)
ORIGINAL = with_exif(
    gps_ifd("N", dms(30, 15, 36.0), "E", dms(120, 9, 18.0)),
    taken="2026:11:02 09:30:05",
    offset="+08:00",
    make="Xiaomi",
    model="14 Pro",
)
"""The officer's on-site photo: its EXIF holds where (30.26, 120.155) and when it was taken."""
STRIPPED = strip_exif(ORIGINAL)
"""The same picture without its EXIF, as the enterprise might hold it."""
ORIGINAL_TRACES = ("30.26", "120.155", "09:30:05", "Xiaomi", "现场.jpg")


@dataclass
class Setup:
    box: Container
    client: TestClient
    people: People
    rectifying: int
    """A problem about enterprise 1, ordered to rectify (the enterprise sees it)."""
    bureau_photo: int
    """The officer's internal on-site photo of ``rectifying`` (``ORIGINAL``)."""
    task: int
    """Today's self-inspection task of enterprise 1's control point CP01."""

    def act(self, who: dict[str, str], action: str, **body: Any) -> Any:
        return self.client.post(
            f"/api/problems/{self.rectifying}/actions/{action}", json=body, headers=who
        )

    def upload(self, who: dict[str, str], data: bytes, purpose: str, name: str) -> Any:
        return self.client.post(
            f"/api/problems/{self.rectifying}/attachments",
            files={"file": (name, data, "image/jpeg")},
            data={"purpose": purpose},
            headers=who,
        )

    def attachments(self) -> int:
        with self.box.transaction() as session:
            query = select(func.count(ProblemAttachment.id)).where(
                ProblemAttachment.problem_id == self.rectifying
            )
            return session.scalar(query) or 0


@pytest.fixture
def s(container: Container, tmp_path: Path, clock: FakeClock) -> Setup:
    box = container
    load_small_registry(box, tmp_path)
    load_points(box, tmp_path, [point_row(1, "CP01")])
    generate(box, TODAY)
    people = make_people(box)
    client = TestClient(create_app_for(box))
    officer = people.officer_a.headers
    pid = public_report(
        box, reporter_user_id=people.reporter.user_id, enterprise=enterprise_id(box, 1)
    )
    drive = Driver(client, box, officer)
    drive.to_verifying(pid, people.worker_g1.user_id)
    photo = drive.upload(pid, ORIGINAL, purpose="onsite", name="现场.jpg")
    drive.act(pid, "confirm", onsite=drive.onsite(photo))
    drive.order(pid)
    clock.advance(timedelta(hours=2))
    point = point_id(box, 1, "CP01")
    with box.transaction() as session:
        task = session.scalar(
            select(SelfcheckTask.id).where(
                SelfcheckTask.point_id == point, SelfcheckTask.due_date == TODAY
            )
        )
    assert task is not None
    return Setup(box, client, people, pid, photo, task)


def _without(text: str, *ids: int) -> str:
    for media_id in ids:
        text = text.replace(str(media_id), "N")
    return text


def test_a_stripped_copy_uploaded_by_the_enterprise_is_a_file_of_its_own(s: Setup) -> None:
    company = s.people.enterprise
    sent = s.upload(company.headers, STRIPPED, "rectification", "copy.jpg")
    assert sent.status_code == 201, sent.text
    mine = sent.json()["media_id"]
    assert mine != s.bureau_photo
    assert not any(trace in sent.text for trace in ORIGINAL_TRACES)
    with s.box.transaction() as session:
        copy, original = session.get(MediaFile, mine), session.get(MediaFile, s.bureau_photo)
        assert copy is not None and original is not None
        assert copy.sha256 == original.sha256  # one file on disk, two uploads
        assert (copy.gps_lat, copy.gps_lon, copy.taken_at_local, copy.camera) == (None,) * 4
        assert (copy.original_name, copy.uploaded_by) == (
            "copy.jpg",
            f"user:{company.user_id}:company-1",
        )
        assert copy.uploaded_at == s.box.clock.now() != original.uploaded_at
        assert (original.gps_lat, original.gps_lon) == (30.26, 120.155)


def test_a_stripped_copy_sent_as_a_self_inspection_photo_reads_back_without_the_original(
    s: Setup,
) -> None:
    company = s.people.enterprise.headers
    sent = s.client.post(
        f"/api/selfcheck/tasks/{s.task}/photos",
        files={"file": ("p.jpg", STRIPPED, "image/jpeg")},
        data={"item": "clarifier_photo"},
        headers=company,
    )
    assert sent.status_code == 201, sent.text
    record = sent.json()
    assert record["media_id"] != s.bureau_photo
    assert (record["gps_lat"], record["gps_lon"], record["taken_at"]) == (None, None, None)
    assert (record["distance_m"], record["far"]) == (None, False)
    task = s.client.get(f"/api/selfcheck/tasks/{s.task}", headers=company)
    assert task.status_code == 200, task.text
    assert [{k: p[k] for k in record} for p in task.json()["photos"]] == [record]
    assert not any(trace in task.text for trace in ORIGINAL_TRACES)


def test_citing_the_bureaus_photo_is_refused_exactly_like_citing_no_file(s: Setup) -> None:
    company = s.people.enterprise.headers
    before = s.attachments()
    answers = []
    for media_id in (s.bureau_photo, s.bureau_photo + 10_000):
        evidence = {"text": "已更换滤袋", "attachment_ids": [media_id]}
        response = s.act(company, "report_rectified", evidence=evidence)
        answers.append((response.status_code, _without(response.text, media_id)))
    assert answers[0] == answers[1]
    assert answers[0][0] == 422 and "evidence.attachment_ids" in answers[0][1]
    assert s.attachments() == before
    own = s.upload(company, jpeg(31), "rectification", "滤袋.jpg")
    assert own.status_code == 201, own.text
    evidence = {"text": "已更换滤袋", "attachment_ids": [own.json()["media_id"]]}
    done = s.act(company, "report_rectified", evidence=evidence)
    assert done.status_code == 200, done.text
    detail = s.client.get(f"/api/problems/{s.rectifying}", headers=company)
    assert detail.json()["state"] == "rectified"


def test_staff_cite_their_own_uploads_only_too(s: Setup) -> None:
    worker = s.people.worker_g1.headers
    other = s.client.post(
        f"/api/problems/{s.rectifying}/actions/report_rectified",
        json={"evidence": {"text": "已整改", "attachment_ids": [s.bureau_photo]}},
        headers=worker,
    )
    missing = s.client.post(
        f"/api/problems/{s.rectifying}/actions/report_rectified",
        json={"evidence": {"text": "已整改", "attachment_ids": [987_654]}},
        headers=worker,
    )
    assert other.status_code == missing.status_code == 422
    assert _without(other.text, s.bureau_photo) == _without(missing.text, 987_654)
    officer = s.people.officer_a.headers
    done = s.act(
        officer, "report_rectified", evidence={"text": "已整改", "attachment_ids": [s.bureau_photo]}
    )
    assert done.status_code == 200, done.text
