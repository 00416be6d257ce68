"""Clue deduplication rules: normalisation, n-gram similarity, distance, time, photos, the score
and the decision; and the labelled set's generator."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from pydantic import ValidationError

from ecoradar.clues import dedupe
from ecoradar.clues.dedupe import (
    Evidence,
    activity_gap,
    best_text_similarity,
    bounding_box,
    decide,
    haversine_m,
    ngrams,
    normalise,
    photo_bits,
    photo_similarity,
    proximity,
    radius_for,
    recency,
    text_similarity,
)
from ecoradar.config import Settings
from ecoradar.simulate.clue_scenarios import (
    DEFAULT_COUNTS,
    KINDS,
    POSITIVE_KINDS,
    labelled_set,
)

WEEK = timedelta(days=7)

REPORT = "解放路88号的宏达化工厂每天晚上往河里排黑水，河面上全是白色泡沫，请相关部门尽快处理！"
REPHRASED = "宏达化工（解放路）夜里偷排发黑的废水，水面漂着一层白沫，已经好几天了。谢谢"
TYPOS = "解放陆88号宏达化工场每天碗上往和里派黑水，河面上全是白色泡沫"
UNRELATED = "中山小区楼下的饭店油烟直排，厨房噪音很大，周末更严重。"
SAME_ROAD_OTHER_FIRM = "解放路上的鑫源印染厂排口流出红水，颜色很深。"


def candidate(problem_id: int = 1, **changes: object) -> Evidence:
    values: dict[str, object] = {
        "problem_id": problem_id,
        "distance_m": 20.0,
        "radius_m": 250.0,
        "gap": timedelta(hours=5),
        "window": WEEK,
        "text": 0.6,
        "photo_bits": None,
    }
    values.update(changes)
    return Evidence(**values)  # type: ignore[arg-type]


# --- text -----------------------------------------------------------------------------------


def test_normalise_folds_full_width_and_case_and_drops_punctuation_and_spaces() -> None:
    assert normalise("ＣＯＤ　超标！ＰＨ值１２，") == "cod超标ph值12"
    assert normalise("PM2.5 爆表!!") == "pm25爆表"


def test_normalise_removes_filler_and_function_characters() -> None:
    assert (
        normalise("你好，我要举报：解放路的工厂在排污水了，请尽快处理，谢谢！")
        == "要解放路工厂排污水"
    )


def test_normalise_of_nothing_but_filler_is_empty() -> None:
    assert normalise("你好，谢谢！") == ""
    assert ngrams("你好，谢谢！") == {}


def test_ngrams_are_character_bigrams_and_trigrams_with_counts() -> None:
    assert ngrams("黑水黑水") == {"黑水": 2, "水黑": 1, "黑水黑": 1, "水黑水": 1}
    assert ngrams("臭") == {"臭": 1}


def test_identical_texts_are_fully_similar_whatever_their_width_and_punctuation() -> None:
    assert text_similarity(REPORT, REPORT) == pytest.approx(1.0)
    assert text_similarity("ＣＯＤ超标，黑水", "cod超标 黑水") == pytest.approx(1.0)


def test_similarity_is_symmetric_and_zero_for_an_empty_text() -> None:
    assert text_similarity(REPORT, REPHRASED) == pytest.approx(text_similarity(REPHRASED, REPORT))
    assert text_similarity(REPORT, "") == 0.0
    assert text_similarity("见图", REPORT) == 0.0


def test_a_rephrased_report_is_far_more_similar_than_an_unrelated_one() -> None:
    rephrased = text_similarity(REPORT, REPHRASED)
    unrelated = text_similarity(REPORT, UNRELATED)
    assert rephrased > 0.12  # the firm and the road survive the rewording
    assert unrelated < 0.03
    assert rephrased > 4 * max(unrelated, 0.01)


def test_typos_and_homophones_keep_much_of_the_similarity() -> None:
    assert text_similarity(REPORT, TYPOS) > 0.4


def test_the_same_road_alone_is_weaker_evidence_than_the_same_firm_and_facts() -> None:
    assert text_similarity(REPORT, SAME_ROAD_OTHER_FIRM) < text_similarity(REPORT, REPHRASED)
    assert text_similarity(REPORT, SAME_ROAD_OTHER_FIRM) < dedupe.ATTACH_MIN_TEXT


def test_best_text_similarity_compares_piece_by_piece_so_history_does_not_dilute() -> None:
    history = [UNRELATED * 5, REPORT]
    assert best_text_similarity(REPORT, history) == pytest.approx(1.0)
    assert best_text_similarity(REPORT, ["".join(history)]) < 0.9
    assert best_text_similarity(REPORT, []) == 0.0


# --- place, time, photo ---------------------------------------------------------------------


def test_haversine_gives_known_distances() -> None:
    assert haversine_m(30.0, 120.0, 30.0, 120.0) == 0.0
    assert haversine_m(30.0, 120.0, 31.0, 120.0) == pytest.approx(111_195, rel=1e-3)
    # 0.001 degree of longitude at 30 N is 96.3 m
    assert haversine_m(30.0, 120.0, 30.0, 120.001) == pytest.approx(96.3, abs=0.2)
    # Hangzhou to Shanghai, about 165 km
    assert haversine_m(30.2741, 120.1551, 31.2304, 121.4737) == pytest.approx(164_000, rel=0.02)


@pytest.mark.parametrize("lat", [0.0, 30.5, -45.0, 70.0])
def test_the_bounding_box_holds_every_point_of_the_circle(lat: float) -> None:
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, 120.0, 500.0)
    for step in range(32):
        bearing = 2 * math.pi * step / 32
        north = 500.0 * math.cos(bearing) / 6_371_008.8
        p_lat = lat + math.degrees(north)
        east = 500.0 * math.sin(bearing) / (6_371_008.8 * math.cos(math.radians(p_lat)))
        p_lon = 120.0 + math.degrees(east)
        assert haversine_m(lat, 120.0, p_lat, p_lon) == pytest.approx(500.0, rel=0.01)
        assert min_lat <= p_lat <= max_lat
        assert min_lon <= p_lon <= max_lon
    assert max_lat - min_lat < 2 * 520 / 111_000


def test_radius_comes_from_the_override_then_the_category_then_the_default() -> None:
    assert radius_for("water") == 500.0
    assert radius_for("noise") == 150.0
    assert radius_for("soil") == 250.0
    assert radius_for("soil", 300.0) == 300.0
    assert radius_for("water", 300.0, {"water": 800.0}) == 800.0
    assert radius_for("noise", 300.0, {"water": 800.0}) == 150.0


def test_radius_overrides_are_read_as_json_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECORADAR_CLUE_DEDUPE_RADIUS_OVERRIDES", '{"water": 800, "noise": 90}')
    assert Settings().clue_dedupe_radius_overrides == {"water": 800.0, "noise": 90.0}
    monkeypatch.delenv("ECORADAR_CLUE_DEDUPE_RADIUS_OVERRIDES")
    assert Settings().clue_dedupe_radius_overrides == {}
    with pytest.raises(ValidationError, match="'odor' is not one of"):
        Settings(clue_dedupe_radius_overrides={"odor": 300.0})
    with pytest.raises(ValidationError, match="between 0 and 20,000"):
        Settings(clue_dedupe_radius_overrides={"water": 0.0})


def test_proximity_falls_linearly_to_zero_at_the_radius() -> None:
    assert proximity(0.0, 250.0) == 1.0
    assert proximity(125.0, 250.0) == pytest.approx(0.5)
    assert proximity(250.0, 250.0) == 0.0
    assert proximity(400.0, 250.0) == 0.0


def test_activity_gap_is_zero_inside_the_problems_activity_and_counts_outside_it() -> None:
    assert activity_gap(50.0, 10.0, 100.0) == 0.0
    assert activity_gap(130.0, 10.0, 100.0) == 30.0
    assert activity_gap(4.0, 10.0, 100.0) == 6.0


def test_recency_falls_linearly_over_the_window() -> None:
    assert recency(timedelta(0), WEEK) == 1.0
    assert recency(timedelta(days=3.5), WEEK) == pytest.approx(0.5)
    assert recency(timedelta(days=9), WEEK) == 0.0


def test_photo_bits_is_the_closest_pair_and_none_without_photos() -> None:
    a, b = "ffffffff00000000", "ffffffff0000000f"
    assert photo_bits([a], [b, "0000000000000000"]) == 4
    assert photo_bits([a, "0f0f0f0f0f0f0f0f"], [b]) == 4
    assert photo_bits([], [b]) is None
    assert photo_bits([a], []) is None


def test_photo_similarity_is_full_for_the_same_picture_and_nothing_for_unrelated_ones() -> None:
    assert photo_similarity(None) == 0.0
    assert photo_similarity(0) == 1.0
    assert photo_similarity(dedupe.PHOTO_SAME_BITS) == 1.0
    assert photo_similarity(dedupe.PHOTO_UNRELATED_BITS) == 0.0
    assert photo_similarity(32) == 0.0
    middle = (dedupe.PHOTO_SAME_BITS + dedupe.PHOTO_UNRELATED_BITS) // 2
    assert 0.0 < photo_similarity(middle) < 1.0


# --- score ----------------------------------------------------------------------------------


def test_the_base_weights_add_up_to_one() -> None:
    assert dedupe.W_TEXT + dedupe.W_PLACE + dedupe.W_TIME == pytest.approx(1.0)


def test_the_score_is_one_for_perfect_evidence_and_zero_for_none() -> None:
    perfect = candidate(distance_m=0.0, gap=timedelta(0), text=1.0)
    assert perfect.score == 1.0
    nothing = candidate(distance_m=250.0, gap=WEEK, text=0.0)
    assert nothing.score == 0.0


def test_the_score_rises_with_text_closeness_recency_and_a_matching_photo() -> None:
    base = candidate()
    assert candidate(text=0.8).score > base.score
    assert candidate(distance_m=5.0).score > base.score
    assert candidate(gap=timedelta(0)).score > base.score
    assert candidate(photo_bits=3).score > base.score
    assert candidate(photo_bits=40).score == base.score


def test_a_matching_photo_alone_lifts_the_score_near_its_weight() -> None:
    photo_only = candidate(text=0.0, distance_m=200.0, gap=timedelta(days=6), photo_bits=2)
    assert photo_only.base < 0.2
    assert photo_only.score >= dedupe.W_PHOTO


def test_reasons_name_category_distance_text_photo_and_age() -> None:
    reasons = candidate(distance_m=120.4, text=0.623, photo_bits=4, gap=timedelta(days=2)).reasons()
    assert reasons == ("same category", "120 m away", "text 0.62", "photo 4 bits", "active 2 d ago")
    assert "photo" not in " ".join(candidate().reasons())


# --- decide ---------------------------------------------------------------------------------


def test_no_candidates_means_a_new_problem() -> None:
    decision = decide([])
    assert (decision.attach_to, decision.score, decision.suggestions) == (None, None, ())
    assert decision.outcome == "new"


def test_a_close_recent_similar_problem_is_attached_with_its_reasons() -> None:
    decision = decide([candidate(7, text=0.7)])
    assert decision.outcome == "attach"
    assert decision.attach_to == 7
    assert decision.score is not None and decision.score >= dedupe.ATTACH_SCORE
    assert decision.reasons[:3] == ("same category", "20 m away", "text 0.70")
    assert decision.suggestions == ()


def test_a_close_problem_with_weak_text_is_only_suggested() -> None:
    decision = decide([candidate(7, text=0.15)])
    assert decision.outcome == "suggest"
    assert decision.attach_to is None
    (suggestion,) = decision.suggestions
    assert suggestion.problem_id == 7
    assert suggestion.distance_m == 20.0
    assert "text 0.15" in suggestion.reasons


def test_a_high_score_far_out_in_the_radius_is_only_suggested() -> None:
    far = candidate(7, text=0.95, distance_m=140.0)
    assert far.score >= dedupe.ATTACH_SCORE
    decision = decide([far])
    assert decision.attach_to is None
    assert [s.problem_id for s in decision.suggestions] == [7]


def test_the_same_photo_attaches_even_when_the_text_says_nothing() -> None:
    decision = decide([candidate(7, text=0.0, distance_m=60.0, photo_bits=5)])
    assert decision.attach_to == 7
    assert "photo 5 bits" in decision.reasons


def test_a_somewhat_similar_photo_does_not_stand_in_for_the_text() -> None:
    bits = dedupe.PHOTO_SAME_BITS + 1
    decision = decide([candidate(7, text=0.0, distance_m=10.0, photo_bits=bits)])
    assert decision.attach_to is None
    assert [s.problem_id for s in decision.suggestions] == [7]


def test_two_problems_alike_are_both_suggested_not_attached() -> None:
    decision = decide([candidate(7, text=0.8), candidate(8, text=0.78, distance_m=25.0)])
    assert decision.attach_to is None
    assert [s.problem_id for s in decision.suggestions] == [7, 8]
    assert any(r.startswith("another problem scores") for r in decision.suggestions[0].reasons)


def test_a_clear_winner_is_attached_and_the_runner_up_suggested() -> None:
    decision = decide([candidate(8, text=0.2, distance_m=30.0), candidate(7, text=0.9)])
    assert decision.attach_to == 7
    assert [s.problem_id for s in decision.suggestions] == [8]


def test_weak_candidates_are_not_suggested() -> None:
    weak = candidate(7, text=0.05, distance_m=230.0, gap=timedelta(days=6))
    assert weak.score < dedupe.SUGGEST_SCORE
    decision = decide([weak])
    assert decision.outcome == "new"
    assert decision.score == weak.score


def test_suggestions_are_best_first_and_capped() -> None:
    many = [candidate(i, text=0.2 + i / 100, distance_m=30.0) for i in range(1, 10)]
    decision = decide(many)
    ids = [s.problem_id for s in decision.suggestions]
    assert len(ids) == dedupe.MAX_SUGGESTIONS
    assert ids == [9, 8, 7, 6, 5]


# --- the labelled set ------------------------------------------------------------------------


def test_the_labelled_set_is_the_same_for_the_same_seed_and_differs_for_another() -> None:
    small = dict.fromkeys(KINDS, 2)
    one = labelled_set(seed=3, counts=small, background=20)
    assert one == labelled_set(seed=3, counts=small, background=20)
    assert one != labelled_set(seed=4, counts=small, background=20)


def test_the_labelled_set_holds_every_kind_with_its_truth() -> None:
    made = labelled_set(seed=1, background=50)
    problems = {p.key: p for p in made.problems}
    assert len([p for p in made.problems if not p.labelled]) == 50
    for kind in KINDS:
        clues = [c for c in made.clues if c.kind == kind]
        assert len(clues) == DEFAULT_COUNTS[kind]
        for clue in clues:
            if kind not in POSITIVE_KINDS:
                assert clue.duplicate_of is None
                continue
            assert clue.duplicate_of is not None
            truth = problems[clue.duplicate_of]
            assert truth.category == clue.category
            assert haversine_m(clue.lat, clue.lon, truth.lat, truth.lon) <= 80.5


def test_scenario_places_and_times_are_as_documented() -> None:
    made = labelled_set(seed=2, background=0)
    by_key = {p.key: p for p in made.problems}
    by_words = {p.reports[0].description: p for p in made.problems}
    for clue in made.clues:
        if clue.kind in ("far", "outside_window"):  # the problem's own words
            source = by_words[clue.text]
            distance = haversine_m(clue.lat, clue.lon, source.lat, source.lon)
            if clue.kind == "far":
                assert 1990 <= distance <= 3010
            else:
                assert distance <= 40.5
                assert made.now - source.reports[-1].at >= timedelta(days=8)
        if clue.kind == "updated_recently":
            truth = by_key[clue.duplicate_of or ""]
            assert made.now - truth.reports[0].at >= timedelta(days=9)
            assert made.now - truth.reports[-1].at <= timedelta(days=3)
        if clue.kind == "photo_only":
            assert clue.photos
            assert by_key[clue.duplicate_of or ""].photos[0].seed == clue.photos[0].seed
