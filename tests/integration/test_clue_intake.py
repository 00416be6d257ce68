"""``submit_clue``: every clue into the register, refusals leaving nothing behind, the rate
limit of the anonymous channels, idempotent re-sends and deduplication's answer."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ecoradar.audit.models import AuditEntry
from ecoradar.audit.service import verify_log
from ecoradar.bootstrap import Container
from ecoradar.clues import dedupe_service, ratelimit
from ecoradar.clues.catalog import AttributeRefused
from ecoradar.clues.dedupe import DedupeDecision, Suggestion
from ecoradar.clues.intake import (
    ClueIn,
    OutsideJurisdiction,
    RateLimited,
    Upload,
    submit_clue,
    submit_counted,
)
from ecoradar.clues.models import Clue, IntakeAttempt
from ecoradar.core.clock import FakeClock
from ecoradar.core.errors import ConflictError, InputError
from ecoradar.media.inspect import MediaRefused
from ecoradar.media.models import MediaFile
from ecoradar.problems.intake import FindingIn, record_finding
from ecoradar.problems.models import Finding, Problem, ProblemAttachment
from ecoradar.problems.policy import load_policy
from ecoradar.regions.models import Region
from tests.integration.clue_support import (
    IN_B,
    OUTSIDE,
    PUBLIC_ACTOR,
    clue,
    counts,
    load_city,
    photo,
    spot,
    stored_clue,
    submit,
    with_settings,
)
from tests.integration.problem_support import PDF, jpeg, jpeg_with_gps

CODE = re.compile(r"[0-9A-HJKMNP-TV-Z]{10}")


@pytest.fixture
def box(container: Container, tmp_path: Path) -> Container:
    load_city(container, tmp_path)
    return container


def _region_code(box: Container, region_id: int) -> str:
    with box.transaction() as session:
        region = session.get(Region, region_id)
        assert region is not None
        return region.code


def test_a_public_clue_opens_a_problem_routed_to_its_grid_with_an_acceptance_deadline(
    box: Container,
) -> None:
    receipt = submit(box, clue(attributes={"intensity": " 4 ", "smell_type": "chemical"}))
    assert not receipt.duplicate and not receipt.already_known
    with box.transaction() as session:
        problem = session.get(Problem, receipt.problem_id)
        assert problem is not None
        assert problem.state == "reported" and problem.channel == "public"
        assert problem.category == "odour"
        expected_due = load_policy(session=session, settings=box.settings).acceptance_due(
            box.clock.now()
        )
        assert problem.acceptance_due == expected_due
        region_id, office_id = problem.region_id, problem.office_region_id
        finding = session.scalar(select(Finding).where(Finding.problem_id == problem.id))
        assert finding is not None and finding.channel == "public"
        assert finding.data["attributes"] == {"intensity": "4", "smell_type": "chemical"}
    assert _region_code(box, region_id) == "G1"
    assert _region_code(box, office_id) == "A"
    stored = stored_clue(box, receipt.clue_id)
    assert stored.finding_id == finding.id
    assert stored.service_code == "odour" and stored.channel == "public"
    assert stored.attributes == {"intensity": "4", "smell_type": "chemical"}
    assert stored.received_at == box.clock.now()
    assert stored.anonymous is True and stored.duplicate is False


def test_the_tracking_code_is_random_crockford_and_the_secret_is_stored_only_hashed(
    box: Container,
) -> None:
    receipts = [submit(box, clue()) for _ in range(3)]
    codes = {r.tracking_code for r in receipts}
    assert len(codes) == 3
    assert all(CODE.fullmatch(code) for code in codes)
    for receipt in receipts:
        assert receipt.secret is not None and len(receipt.secret) >= 32
        stored = stored_clue(box, receipt.clue_id)
        assert stored.tracking_code == receipt.tracking_code
        assert stored.secret_hash == hashlib.sha256(receipt.secret.encode()).hexdigest()


def test_registered_reporters_and_machines_get_no_reward_secret(
    box: Container, make_user: Any
) -> None:
    citizen = make_user("public")
    named = submit(box, clue(anonymous=False, reporter_user_id=citizen.user_id))
    drone = submit(
        box,
        clue(
            channel="drone",
            photos=(photo(3),),
            data={"platform_id": "UAV-7", "detection_type": "smoke", "confidence": 0.9},
        ),
    )
    assert named.secret is None and stored_clue(box, named.clue_id).secret_hash is None
    assert drone.secret is None
    with box.transaction() as session:
        finding = session.scalar(
            select(Finding).where(Finding.id == stored_clue(box, named.clue_id).finding_id)
        )
        assert finding is not None and finding.reporter_user_id == citizen.user_id


def test_photos_are_re_encoded_and_attached_to_the_problem_as_private_evidence(
    box: Container,
) -> None:
    original = jpeg_with_gps()
    receipt = submit(box, clue(photos=(Upload("gps.jpg", original), photo(5))))
    stored = stored_clue(box, receipt.clue_id)
    assert len(stored.media_ids) == 2
    with box.transaction() as session:
        files = [session.get(MediaFile, m) for m in stored.media_ids]
        assert all(f is not None and f.kind == "image" for f in files)
        assert files[0] is not None and files[0].gps_lat is not None  # evidence kept
        assert files[0].sha256 != hashlib.sha256(original).hexdigest()  # re-encoded
        attachments = session.scalars(
            select(ProblemAttachment).where(ProblemAttachment.problem_id == receipt.problem_id)
        ).all()
    assert {a.media_id for a in attachments} == set(stored.media_ids)
    assert all(a.purpose == "evidence" and a.public is False for a in attachments)
    assert all(a.finding_id == stored.finding_id for a in attachments)


def test_the_reporters_identity_is_on_the_finding_only(box: Container) -> None:
    receipt = submit(
        box,
        clue(anonymous=False, reporter_name="欧阳举报人", reporter_contact="13987654321"),
    )
    stored = stored_clue(box, receipt.clue_id)
    assert stored.anonymous is False
    with box.transaction() as session:
        finding = session.get(Finding, stored.finding_id)
        assert finding is not None
        assert (finding.reporter_name, finding.reporter_contact) == ("欧阳举报人", "13987654321")
        entry = session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "clue.submit", AuditEntry.entity_id == str(stored.id)
            )
        )
        assert entry is not None and entry.actor == PUBLIC_ACTOR
        assert entry.after["problem_id"] == receipt.problem_id
        assert "13987654321" not in str(entry.after) and "欧阳" not in str(entry.after)
        assert receipt.tracking_code not in str(entry.after)
        assert verify_log(session=session).ok


# --- refusals leave nothing behind ------------------------------------------------------------

BROKEN_JPEG = jpeg(7)[:200]

REFUSALS: dict[str, tuple[Callable[[], ClueIn], type[Exception], str]] = {
    "outside the jurisdiction": (
        lambda: clue(**OUTSIDE),
        OutsideJurisdiction,
        "outside this bureau's jurisdiction",
    ),
    "an unknown attribute": (
        lambda: clue(attributes={"intensity": "3", "colour": "black"}),
        AttributeRefused,
        "attribute[colour]: not an attribute of the service odour",
    ),
    "a missing required attribute": (
        lambda: clue(attributes={"smell_type": "sour"}),
        AttributeRefused,
        "attribute[intensity]: required",
    ),
    "a value outside the list": (
        lambda: clue(attributes={"intensity": "9"}),
        AttributeRefused,
        "attribute[intensity]: '9' is not one of 1, 2, 3, 4, 5",
    ),
    "a bad number": (
        lambda: clue(category="solid_waste", attributes={"area_m2": "很大"}),
        AttributeRefused,
        "attribute[area_m2]",
    ),
    "a bad datetime": (
        lambda: clue(category="noise", attributes={"started_at": "昨天晚上"}),
        AttributeRefused,
        "attribute[started_at]",
    ),
    "an unknown category": (lambda: clue(category="traffic"), InputError, "category:"),
    "an empty description": (lambda: clue(description="  "), InputError, "description: required"),
    "a description over 4000 characters": (
        lambda: clue(description="臭" * 4001),
        InputError,
        "description: longer than 4000",
    ),
    "a time in the future": (
        lambda: clue(observed_at=_now() + timedelta(hours=1)),
        InputError,
        "observed_at: lies in the future",
    ),
    "a time over a year ago": (
        lambda: clue(observed_at=_now() - timedelta(days=400)),
        InputError,
        "observed_at: more than",
    ),
    "an anonymous clue with a contact": (
        lambda: clue(reporter_contact="13800000000"),
        InputError,
        "anonymous:",
    ),
    "a NUL character": (lambda: clue(description="a\x00b"), InputError, "description: contains"),
    "a corrupt photo": (
        lambda: clue(photos=(Upload("broken.jpg", BROKEN_JPEG),)),
        MediaRefused,
        "broken.jpg",
    ),
    "a good photo and a corrupt one": (
        lambda: clue(photos=(photo(8), Upload("broken.jpg", BROKEN_JPEG))),
        MediaRefused,
        "broken.jpg",
    ),
    "a PDF as a photo": (
        lambda: clue(photos=(Upload("scan.pdf", PDF),)),
        InputError,
        "photos[0] (scan.pdf): a photo must be a JPEG, PNG or WebP image",
    ),
    "a text file as a photo": (
        lambda: clue(photos=(Upload("notes.jpg", b"just text"),)),
        MediaRefused,
        "notes.jpg",
    ),
    "too many photos": (
        lambda: clue(photos=tuple(photo(n) for n in range(10))),
        InputError,
        "photos: at most 9",
    ),
    "a grid worker's clue without a photo": (
        lambda: clue(channel="grid_worker", anonymous=False, reporter_user_id=1),
        InputError,
        "photos: a grid worker's clue needs at least one photo",
    ),
    "a detection without a platform": (
        lambda: clue(
            channel="drone",
            photos=(photo(9),),
            data={"detection_type": "smoke", "confidence": 0.5},
        ),
        InputError,
        "platform_id: required",
    ),
    "a detection with a confidence over 1": (
        lambda: clue(
            channel="unmanned_ship",
            photos=(photo(9),),
            data={"platform_id": "USV-1", "detection_type": "oil", "confidence": 1.5},
        ),
        InputError,
        "confidence: 1.5 is not a number from 0 to 1",
    ),
    "a detection without its image": (
        lambda: clue(
            channel="drone",
            data={"platform_id": "UAV-1", "detection_type": "smoke", "confidence": 0.5},
        ),
        InputError,
        "image: a detection needs its image",
    ),
    "another sender's stored file": (
        lambda: clue(media_ids=(1,)),
        InputError,
        "media_ids[0]: no file 1 uploaded by you",
    ),
}
_CLOCK: list[FakeClock] = []


def _now() -> Any:
    return _CLOCK[0].now()


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refused_clue_leaves_no_row_behind(
    box: Container, clock: FakeClock, make_user: Any, case: str
) -> None:
    _CLOCK[:] = [clock]
    make_user("grid_worker", region="G1", username="worker")  # user 1
    submit(box, clue(photos=(photo(1),)), actor="user:1:worker")  # stored file 1, by another
    build, error, message = REFUSALS[case]
    before = counts(box)
    with pytest.raises(error) as refused:
        submit(box, build())
    assert message in str(refused.value)
    assert counts(box) == before


def test_a_refusal_inside_the_callers_transaction_is_undone_before_it_goes_on(
    box: Container,
) -> None:
    before = counts(box)
    with box.transaction() as session:
        with pytest.raises(MediaRefused):
            submit_clue(
                session=session,
                settings=box.settings,
                index=box.regions.get(session),
                item=clue(photos=(photo(4), Upload("broken.jpg", BROKEN_JPEG))),
                now=box.clock.now(),
                actor=PUBLIC_ACTOR,
            )
    assert counts(box) == before


def test_an_oversize_photo_is_refused_and_leaves_nothing(box: Container) -> None:
    small = with_settings(box, media_max_image_bytes=1000)
    before = counts(small)
    with pytest.raises(MediaRefused, match="exceeds the limit of 1,000 bytes"):
        submit(small, clue(photos=(photo(2),)))
    assert counts(small) == before


# --- rate limits ------------------------------------------------------------------------------


def test_anonymous_clients_are_limited_per_hour_and_let_in_again_later(
    box: Container, clock: FakeClock
) -> None:
    limited = with_settings(box, clue_rate_limit_per_hour=3)
    for _ in range(2):
        submit(limited, clue(client="ip:198.51.100.7"))
        clock.advance(timedelta(minutes=10))
    submit(limited, clue(channel="open311", client="ip:198.51.100.7"))  # the same budget
    before = counts(limited)
    with pytest.raises(RateLimited) as refused:
        submit(limited, clue(client="ip:198.51.100.7"))
    assert refused.value.retry_after == 40 * 60  # the first of the three leaves the window
    assert counts(limited) == before
    submit(limited, clue(client="ip:203.0.113.9"))  # another client
    submit(limited, clue(channel="hotline", client="ip:198.51.100.7"))  # not anonymous
    clock.advance(timedelta(minutes=40))
    submit(limited, clue(client="ip:198.51.100.7"))


def test_refused_clues_count_against_the_limit_too(box: Container) -> None:
    limited = with_settings(box, clue_rate_limit_per_hour=2)
    for _ in range(2):
        with pytest.raises(OutsideJurisdiction):
            submit_counted(
                container=limited, item=clue(client="ip:192.0.2.50", **OUTSIDE), actor="x:y"
            )
    with pytest.raises(RateLimited):
        submit_counted(container=limited, item=clue(client="ip:192.0.2.50"), actor="x:y")
    assert counts(limited)["clues"] == 0


def test_old_intake_attempts_are_pruned(box: Container, clock: FakeClock) -> None:
    submit(box, clue(client="ip:192.0.2.60"))
    clock.advance(timedelta(days=2))
    submit(box, clue(client="ip:192.0.2.61"))
    with box.transaction() as session:
        clients = session.scalars(select(IntakeAttempt.client)).all()
    assert clients == ["ip:192.0.2.61"]


def test_the_pure_rule_waits_for_the_oldest_use_to_leave_the_window(clock: FakeClock) -> None:
    now = clock.now()
    times = [now - timedelta(minutes=m) for m in (50, 30, 10)]
    assert ratelimit.judge(times, limit=4, now=now) == 0
    assert ratelimit.judge(times, limit=3, now=now) == 10 * 60
    assert ratelimit.judge(times, limit=2, now=now) == 30 * 60


# --- idempotence and deduplication ------------------------------------------------------------


def test_a_resent_clue_is_recorded_once(box: Container) -> None:
    first = submit(box, clue(channel="hotline", source_ref="12345-2026-001"))
    before = counts(box)
    again = submit(box, clue(channel="hotline", source_ref=" 12345-2026-001 "))
    assert again.already_known and again.clue_id == first.clue_id
    assert again.tracking_code == first.tracking_code and again.secret is None
    assert counts(box) == before
    other = submit(box, clue(channel="media", source_ref="12345-2026-001"))
    assert other.clue_id != first.clue_id and not other.already_known


def test_a_source_ref_recorded_without_a_clue_is_a_conflict(box: Container) -> None:
    where = spot()
    with box.transaction() as session:
        record_finding(
            session=session,
            index=box.regions.get(session),
            item=FindingIn(
                channel="department",
                category="water",
                lat=where["lat"],
                lon=where["lon"],
                observed_at=box.clock.now(),
                description="entered before the clue intake",
                source_ref="DEPT-9",
            ),
            now=box.clock.now(),
            actor="system:test",
            policy=load_policy(session=session, settings=box.settings),
        )
    with pytest.raises(ConflictError, match="recorded without a clue"):
        submit(box, clue(channel="department", source_ref="DEPT-9"))


def test_a_clue_repeating_an_open_problem_is_attached_to_it_as_a_duplicate(
    box: Container,
) -> None:
    where = spot()
    text = "河道排污口持续排放黑色污水，伴有恶臭"
    first = submit(
        box, clue(category="water", attributes={}, description=text, photos=(photo(11),), **where)
    )
    before = counts(box)
    second = submit(
        box, clue(category="water", attributes={}, description=text, photos=(photo(11),), **where)
    )
    assert second.duplicate and second.problem_id == first.problem_id
    assert counts(box)["problems"] == before["problems"]
    assert counts(box)["clues"] == before["clues"] + 1
    stored = stored_clue(box, second.clue_id)
    assert stored.duplicate is True and stored.dedupe_score is not None


def test_uncertain_matches_are_kept_as_suggestions_for_the_officer(
    box: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    existing = submit(box, clue())
    suggestion = Suggestion(existing.problem_id, 0.55, 180.0, ("same category", "180 m away"))
    monkeypatch.setattr(
        dedupe_service,
        "find_duplicates",
        lambda **_: DedupeDecision(attach_to=None, score=0.55, suggestions=(suggestion,)),
    )
    receipt = submit(box, clue())
    assert not receipt.duplicate and receipt.problem_id != existing.problem_id
    stored = stored_clue(box, receipt.clue_id)
    assert stored.suggestions == [
        {
            "problem_id": existing.problem_id,
            "score": 0.55,
            "distance_m": 180.0,
            "reasons": ["same category", "180 m away"],
        }
    ]


def test_a_clue_in_another_county_is_routed_to_that_county(box: Container) -> None:
    receipt = submit(box, clue(**spot(IN_B)))
    with box.transaction() as session:
        problem = session.get(Problem, receipt.problem_id)
        assert problem is not None
        office = session.get(Region, problem.office_region_id)
        assert office is not None and office.code == "B"
        assert session.scalar(select(Clue.id).where(Clue.id == receipt.clue_id)) is not None
