"""find_duplicates on a real database: radius per category, time window, category, open states
only, photos, suggestions with reasons."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ecoradar.bootstrap import Container
from ecoradar.clues.dedupe_service import DedupeDecision, find_duplicates
from ecoradar.config import Settings
from ecoradar.core.errors import InputError
from ecoradar.media.inspect import MediaLimits, inspect_upload
from ecoradar.media.service import store_upload
from ecoradar.problems.intake import FindingIn, record_finding
from ecoradar.problems.models import Problem, ProblemAttachment
from ecoradar.problems.policy import load_policy
from ecoradar.regions import service as regions
from ecoradar.simulate.clue_scenarios import Photo
from tests.factories import china_city, write_json

HERE = (30.5, 120.25)
"""A place in grid G1 of the test city."""
WATER = "宏达化工厂在解放路桥下往河里排黑水，河面上全是白色泡沫。"
WATER_AGAIN = "解放路桥那边宏达化工又在偷排黑水，河面白色泡沫很多，请尽快处理"
OTHER_FIRM = "解放路上的鑫源印染厂排口流出红水，颜色很深。"
_serial = iter(range(1, 10_000))


@pytest.fixture
def box(container: Container, tmp_path: Path) -> Container:
    features = regions.read_regions_file(write_json(tmp_path / "city.geojson", china_city()))
    with container.transaction() as session:
        regions.import_regions(
            session=session, features=features, source="city", now=container.clock.now()
        )
    return container


def moved(
    north_m: float, east_m: float = 0.0, start: tuple[float, float] = HERE
) -> tuple[float, float]:
    lat, lon = start
    return (
        lat + math.degrees(north_m / 6_371_008.8),
        lon + math.degrees(east_m / (6_371_008.8 * math.cos(math.radians(lat)))),
    )


def register(
    box: Container,
    text: str,
    *,
    category: str = "water",
    where: tuple[float, float] = HERE,
    at: datetime | None = None,
    photos: tuple[bytes, ...] = (),
    attach_to: int | None = None,
) -> int:
    """A report recorded the way the channels do (and its photos attached); its problem."""
    now = at or box.clock.now() - timedelta(hours=2)
    with box.transaction() as session:
        recorded = record_finding(
            session=session,
            index=box.regions.get(session),
            item=FindingIn(
                channel="public",
                category=category,
                lat=where[0],
                lon=where[1],
                observed_at=now,
                description=text,
                source_ref=f"dedupe-test-{next(_serial)}",
                attach_to=attach_to,
            ),
            now=now,
            actor="system:test",
            policy=load_policy(session=session, settings=box.settings),
        )
        for data in photos:
            media = store_upload(
                session=session,
                home=box.settings.home,
                data=data,
                filename="photo.jpg",
                now=now,
                uploaded_by="system:test",
                limits=MediaLimits(),
            )
            session.add(
                ProblemAttachment(
                    problem_id=recorded.problem.id,
                    media_id=media.id,
                    finding_id=recorded.finding.id,
                    purpose="evidence",
                    public=False,
                    added_at=now,
                    added_by="system:test",
                )
            )
        return recorded.problem.id


def ask(
    box: Container,
    text: str,
    *,
    category: str = "water",
    where: tuple[float, float] = HERE,
    at: datetime | None = None,
    photos: tuple[bytes, ...] = (),
    settings: Settings | None = None,
) -> DedupeDecision:
    hashes = tuple(inspect_upload(data, "clue.jpg", MediaLimits()).phash or "" for data in photos)
    with box.transaction() as session:
        return find_duplicates(
            session=session,
            category=category,
            lat=where[0],
            lon=where[1],
            at=at or box.clock.now(),
            text=text,
            phashes=hashes,
            settings=settings or box.settings,
        )


def suggested(decision: DedupeDecision) -> list[int]:
    return [s.problem_id for s in decision.suggestions]


def test_a_rephrased_report_close_by_is_attached_with_its_reasons(box: Container) -> None:
    problem = register(box, WATER)
    decision = ask(box, WATER_AGAIN, where=moved(30, 10))
    assert decision.attach_to == problem
    assert decision.outcome == "attach"
    assert decision.score is not None and decision.score >= 0.72
    assert decision.reasons[:2] == ("same category", "32 m away")
    assert decision.reasons[2].startswith("text 0.")


def test_nothing_is_found_where_no_problem_is(box: Container) -> None:
    register(box, WATER)
    decision = ask(box, WATER_AGAIN, where=moved(3000))
    assert (decision.attach_to, decision.score, decision.suggestions) == (None, None, ())


def test_the_radius_depends_on_the_category(box: Container) -> None:
    noise = register(box, "工地半夜打桩，噪音很大", category="noise")
    water = register(box, WATER)
    assert ask(box, "工地半夜打桩，噪音很大", category="noise", where=moved(200)).score is None
    assert ask(box, "工地半夜打桩，噪音很大", category="noise", where=moved(60)).attach_to == noise
    assert suggested(ask(box, "工地半夜打桩", category="noise", where=moved(140))) == [noise]
    far_water = ask(box, WATER, where=moved(400))
    assert far_water.attach_to is None  # beyond half the radius: only suggested
    assert suggested(far_water) == [water]
    assert ask(box, WATER, where=moved(520)).score is None


def test_the_edge_of_the_radius_is_exact_whatever_the_direction(box: Container) -> None:
    text = "农田里埋了很多废渣"
    soil = register(box, text, category="soil")
    for north, east in ((240, 0), (0, 240), (-170, 170), (170, -170)):
        decision = ask(box, text, category="soil", where=moved(north, east))
        assert decision.score is not None, (north, east)
    for north, east in ((260, 0), (0, -260), (-185, -185)):
        assert ask(box, text, category="soil", where=moved(north, east)).score is None
    assert soil > 0


def test_radius_settings_change_the_search(box: Container) -> None:
    water = register(box, WATER)
    soil = register(box, "农田里埋了很多废渣", category="soil")
    narrow = box.settings.model_copy(update={"clue_dedupe_radius_overrides": {"water": 100.0}})
    assert ask(box, WATER, where=moved(300), settings=narrow).score is None
    assert suggested(ask(box, WATER, where=moved(300))) == [water]
    wide = box.settings.model_copy(update={"clue_dedupe_radius_m": 600.0})
    assert ask(box, "农田里埋了很多废渣", category="soil", where=moved(400)).score is None
    found = ask(box, "农田里埋了很多废渣", category="soil", where=moved(400), settings=wide)
    assert suggested(found) == [soil]


def test_problems_outside_the_time_window_are_ignored(box: Container) -> None:
    now = box.clock.now()
    old = register(box, WATER, at=now - timedelta(days=8))
    assert ask(box, WATER).score is None
    longer = box.settings.model_copy(update={"clue_dedupe_window_days": 10})
    assert ask(box, WATER, settings=longer).attach_to == old


def test_a_problem_updated_within_the_window_is_found_though_reported_long_before(
    box: Container,
) -> None:
    now = box.clock.now()
    problem = register(box, OTHER_FIRM, at=now - timedelta(days=20))
    register(box, WATER_AGAIN, at=now - timedelta(days=2), attach_to=problem)
    decision = ask(box, WATER_AGAIN, where=moved(20))
    assert decision.attach_to == problem  # the later finding's words count too
    assert "active 2 d ago" in decision.reasons


def test_a_clue_seen_before_a_problem_was_reported_counts_within_the_window(
    box: Container,
) -> None:
    problem = register(box, WATER)
    earlier = box.clock.now() - timedelta(days=3)
    # three days before: found (the meaning — black water, white foam — now attaches it; with
    # n-grams alone it was only suggested)
    found = ask(box, WATER_AGAIN, at=earlier)
    assert found.attach_to == problem or suggested(found) == [problem]
    assert ask(box, WATER, at=earlier).attach_to == problem
    assert ask(box, WATER, at=earlier - timedelta(days=6)).score is None


def test_problems_of_another_category_are_ignored(box: Container) -> None:
    register(box, WATER, category="odour")
    register(box, WATER, category="solid_waste")
    assert ask(box, WATER).score is None


def test_problems_in_a_final_state_are_ignored(box: Container) -> None:
    ids = [register(box, WATER) for _ in range(4)]
    with box.transaction() as session:
        for problem_id, state in zip(
            ids, ("closed", "rejected", "unfounded", "transferred"), strict=True
        ):
            problem = session.get(Problem, problem_id)
            assert problem is not None
            problem.state = state
    assert ask(box, WATER).score is None
    with box.transaction() as session:
        reopened = session.get(Problem, ids[0])
        assert reopened is not None
        reopened.state = "reopened"
    assert ask(box, WATER).attach_to == ids[0]


def test_the_same_photo_attaches_a_clue_whose_words_say_nothing(box: Container) -> None:
    photo = Photo(seed=11)
    problem = register(box, WATER, photos=(photo.render(),))
    decision = ask(box, "见图", where=moved(50), photos=(photo.copy(3).render(),))
    assert decision.attach_to == problem
    bits = next(r for r in decision.reasons if r.startswith("photo "))
    assert int(bits.split()[1]) <= 10


def test_an_unrelated_photo_is_no_evidence(box: Container) -> None:
    problem = register(box, WATER, photos=(Photo(seed=11).render(),))
    decision = ask(box, "见图", where=moved(50), photos=(Photo(seed=12).render(),))
    assert decision.attach_to is None
    assert suggested(decision) == [problem]
    (suggestion,) = decision.suggestions
    bits = next(r for r in suggestion.reasons if r.startswith("photo "))
    assert int(bits.split()[1]) > 14


def test_two_similar_problems_are_suggested_with_their_reasons(box: Container) -> None:
    first = register(box, WATER)
    second = register(box, WATER, where=moved(40))
    decision = ask(box, WATER_AGAIN, where=moved(20))
    assert decision.attach_to is None
    assert sorted(suggested(decision)) == sorted([first, second])
    for suggestion in decision.suggestions:
        assert suggestion.reasons[0] == "same category"
        assert suggestion.reasons[1] == f"{suggestion.distance_m:.0f} m away"
        assert suggestion.reasons[2].startswith("text ")
        assert 0.0 < suggestion.score <= 1.0
    assert any("another problem scores" in r for r in decision.suggestions[0].reasons)


def test_another_firm_on_the_same_road_is_not_attached(box: Container) -> None:
    register(box, WATER)
    decision = ask(box, OTHER_FIRM, where=moved(150))
    assert decision.attach_to is None


def test_a_time_without_a_zone_is_refused(box: Container) -> None:
    with pytest.raises(InputError, match="at: needs a time zone"):
        ask(box, WATER, at=datetime(2026, 11, 1, 12, 0))  # noqa: DTZ001 - the point of the test
