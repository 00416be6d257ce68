"""Attachments through the API: refusals leave neither a row nor a file, documents are never
public, and an enterprise attaches rectification files to its own problem only."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from ecoradar.bootstrap import Container, bootstrap
from ecoradar.config import Settings
from ecoradar.core.clock import FakeClock
from ecoradar.media.models import MediaFile
from ecoradar.problems.models import ProblemAttachment
from tests.factories import load_small_registry
from tests.integration.problem_support import (
    PDF,
    Driver,
    People,
    create_app_for,
    enterprise_id,
    jpeg,
    make_people,
    public_report,
)

IMAGE_LIMIT = 6_000


@dataclass
class Setup:
    box: Container
    client: TestClient
    people: People
    rectifying: int
    """A problem about enterprise 1 that it has been ordered to rectify."""
    confirmed: int
    """A problem about enterprise 1 not yet ordered (the enterprise does not see it)."""

    def upload(
        self,
        who: dict[str, str],
        data: bytes,
        *,
        pid: int | None = None,
        purpose: str = "evidence",
        public: bool = False,
        name: str = "upload.jpg",
    ) -> tuple[int, str]:
        response = self.client.post(
            f"/api/problems/{pid or self.rectifying}/attachments",
            files={"file": (name, data, "image/jpeg")},
            data={"purpose": purpose, "public": str(public).lower()},
            headers=who,
        )
        return response.status_code, response.text

    def stored(self) -> tuple[int, int, list[Path]]:
        """Media rows, attachment rows and stored files."""
        with self.box.transaction() as session:
            media = session.scalar(select(func.count(MediaFile.id))) or 0
            rows = session.scalar(select(func.count(ProblemAttachment.id))) or 0
        root = self.box.settings.home / "media"
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
        return media, rows, files


@pytest.fixture
def s(settings: Settings, clock: FakeClock, tmp_path: Path) -> Iterator[Setup]:
    box = bootstrap(settings.model_copy(update={"media_max_image_bytes": IMAGE_LIMIT}), clock=clock)
    load_small_registry(box, tmp_path)
    people = make_people(box)
    client = TestClient(create_app_for(box))
    drive = Driver(client, box, people.officer_a.headers)
    company = enterprise_id(box, 1)
    worker = people.worker_g1.user_id
    rectifying = public_report(box, reporter_user_id=people.reporter.user_id, enterprise=company)
    drive.to_confirmed(rectifying, worker, jpeg(1))
    drive.order(rectifying)
    confirmed = public_report(box, reporter_user_id=people.reporter.user_id, enterprise=company)
    drive.to_confirmed(confirmed, worker, jpeg(1))
    yield Setup(box, client, people, rectifying, confirmed)
    box.close()


def noisy_jpeg() -> bytes:
    """A JPEG of random pixels: far over the test's image limit."""
    rng = random.Random(5)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (160, 120), rng.randbytes(160 * 120 * 3)).save(buffer, "JPEG")
    return buffer.getvalue()


BIG = noisy_jpeg()
REFUSED = [
    pytest.param(b"", "empty", id="empty"),
    pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg"/>', "SVG", id="svg"),
    pytest.param(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "unsupported", id="gif"),
    pytest.param(b"<!doctype html><script>alert(1)</script>", "HTML", id="html"),
    pytest.param(b"%PDF-1.7\n1 0 obj\n", "%%EOF", id="truncated-pdf"),
    pytest.param(BIG, "exceeds the limit", id="too-large"),
]


@pytest.mark.parametrize(("data", "words"), REFUSED)
def test_a_refused_upload_leaves_no_row_and_no_file(s: Setup, data: bytes, words: str) -> None:
    assert len(BIG) > IMAGE_LIMIT
    before = s.stored()
    status, text = s.upload(s.people.officer_a.headers, data, name="证据.jpg")
    assert status == 422, text
    assert words in text and "证据.jpg" in text
    assert s.stored() == before


def test_a_document_is_never_public_and_a_refusal_stores_nothing(s: Setup) -> None:
    officer = s.people.officer_a.headers
    before = s.stored()
    status, text = s.upload(officer, PDF, public=True, name="监测报告.pdf", purpose="document")
    assert status == 422 and "public" in text
    assert s.stored() == before
    status, text = s.upload(officer, PDF, name="监测报告.pdf", purpose="document")
    assert status == 201, text
    media = s.stored()
    assert (media[0], media[1], len(media[2])) == (before[0] + 1, before[1] + 1, len(before[2]) + 1)
    company = s.people.enterprise.headers
    listed = s.client.get(f"/api/problems/{s.rectifying}", headers=company).json()["attachments"]
    assert all(a["kind"] == "image" for a in listed)


def test_an_enterprise_attaches_rectification_files_to_its_own_problem_only(s: Setup) -> None:
    company = s.people.enterprise.headers
    status, text = s.upload(company, jpeg(20), purpose="rectification", public=True)
    assert status == 201, text
    attached = s.client.get(f"/api/problems/{s.rectifying}", headers=s.people.officer_a.headers)
    row = [a for a in attached.json()["attachments"] if a["purpose"] == "rectification"]
    assert len(row) == 1 and row[0]["public"] is False  # only handlers publish files
    evidence = {"text": "已更换滤袋", "attachment_ids": [row[0]["media_id"]]}
    done = s.client.post(
        f"/api/problems/{s.rectifying}/actions/report_rectified",
        json={"evidence": evidence},
        headers=company,
    )
    assert done.status_code == 200, done.text
    before = s.stored()
    refusals = [
        (company, s.rectifying, "evidence", 403),
        (company, s.rectifying, "onsite", 403),
        (company, s.confirmed, "rectification", 404),
        (s.people.other_enterprise.headers, s.rectifying, "rectification", 404),
        (s.people.reporter.headers, s.rectifying, "rectification", 403),
        (s.people.officer_a.headers, s.rectifying, "selfie", 422),
    ]
    for who, pid, purpose, expected in refusals:
        status, text = s.upload(who, jpeg(21), pid=pid, purpose=purpose)
        assert status == expected, (purpose, text)
    assert s.stored() == before


def test_the_same_file_twice_is_stored_once_on_disk_as_two_uploads(s: Setup) -> None:
    officer = s.people.officer_a.headers
    first = s.upload(officer, jpeg(40))
    media, rows, files = s.stored()
    second = s.upload(officer, jpeg(40))
    assert first[0] == second[0] == 201
    assert s.stored() == (media + 1, rows + 1, files)
