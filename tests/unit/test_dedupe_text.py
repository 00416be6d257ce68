"""Deduplication that understands people: the lexicon's concepts, jieba's words, their
similarity, nearness in the score, the reasons, and the paraphrase set's generator."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ecoradar.clues import dedupe, dedupe_text
from ecoradar.clues.dedupe import Evidence, closeness, decide, recent
from ecoradar.clues.dedupe_text import (
    Features,
    best_meaning,
    concepts_of,
    features,
    parse_lexicon,
    similarity,
)
from ecoradar.simulate.clue_scenarios_paraphrase import (
    PARAPHRASE_KINDS,
    PARAPHRASE_POSITIVE,
    TYPES,
    paraphrase_set,
)

OUTLET = "排污口排出黑色污水"
STREAM = "黑水流进河里"
SURFACE = "河面发黑有泡沫"
RED = "河里的水发红，像染料"
OIL = "河面上漂着一层油"


def meaning(a: str, b: str) -> dedupe_text.Meaning:
    return similarity(features(a), features(b))


# --- lexicon and features -------------------------------------------------------------------


def test_the_issues_three_phrasings_name_one_colour_and_the_longest_word_wins() -> None:
    assert {"colour:black", "medium:water", "source:outlet"} <= concepts_of(OUTLET)[0]
    assert {"colour:black", "medium:water", "place:river"} <= concepts_of(STREAM)[0]
    surface, rest = concepts_of(SURFACE)
    assert {"colour:black", "phenomenon:foam", "place:river"} == surface
    assert "河面" not in rest and "发黑" not in rest
    # 水面 is the river's surface, not also 水 the medium
    assert concepts_of("水面有油花")[0] == {"place:river", "phenomenon:oil"}


def test_content_words_come_from_jieba_without_filler_or_lexicon_words() -> None:
    found = features("你好，解放路宏达化工厂往河里排黑水，请尽快处理")
    assert {"宏达", "化工厂"} <= found.words
    assert not found.words & {"你好", "尽快", "处理", "黑水", "河里"}
    assert "colour:black" in found.concepts


def test_a_place_name_is_a_light_word_never_a_concept() -> None:
    found = features("在红旗村附近，洗砂场往河里排泥浆水")
    assert "@红旗村" in found.words
    assert "colour:red" not in found.concepts and "colour:yellow" in found.concepts
    assert dedupe_text.lexicon().weight("@红旗村") < dedupe_text.lexicon().word_weight


def test_sharing_no_sight_halves_the_likeness() -> None:
    # the river and the discharge alone, no colour, smell or phenomenon in common
    assert meaning("往河里排水", "往河里排水").score == 1.0 * dedupe_text.lexicon().without_sight
    assert meaning(OUTLET, OUTLET).score == 1.0


def test_rephrased_reports_of_one_outlet_mean_much_the_same() -> None:
    assert meaning(OUTLET, STREAM).score >= 0.5
    assert "black" in meaning(OUTLET, STREAM).shared
    assert meaning(STREAM, SURFACE).score > meaning(STREAM, OIL).score
    assert meaning(OUTLET, STREAM).score == meaning(STREAM, OUTLET).score


def test_two_colours_contradict_and_mean_nothing_alike() -> None:
    found = meaning(OUTLET, RED)
    assert found.conflict == ("colour",) and found.score == 0.0
    assert meaning("一股臭鸡蛋味", "气味刺鼻").conflict == ("smell",)
    assert meaning("半夜还在施工", "音响声音特别大").conflict == ("noise",)


def test_best_meaning_prefers_a_piece_without_conflict_and_is_empty_without_pieces() -> None:
    found = best_meaning(STREAM, [RED, SURFACE])
    assert not found.conflict and found.score > 0
    assert best_meaning(STREAM, [RED]).conflict == ("colour",)
    assert best_meaning(STREAM, []) == dedupe_text.NOTHING


def test_nothing_in_common_and_empty_texts_score_zero() -> None:
    assert meaning("见图", OUTLET).score == 0.0
    assert similarity(Features(frozenset(), frozenset()), features(OUTLET)).score == 0.0


def test_a_malformed_lexicon_is_refused_naming_the_key() -> None:
    with pytest.raises(ValueError, match=r"concepts.colour:black: family 'colour'"):
        parse_lexicon({"families": {}, "concepts": {"colour:black": {"words": ["黑"]}}})
    with pytest.raises(ValueError, match=r"concepts.smell:x.words: empty"):
        parse_lexicon({"families": {"smell": 1.0}, "concepts": {"smell:x": {"words": []}}})
    with pytest.raises(ValueError, match="rules.exclusive"):
        parse_lexicon({"families": {}, "rules": {"exclusive": ["taste"]}})


def test_the_shipped_lexicon_loads_with_weights_for_every_family() -> None:
    lex = dedupe_text.lexicon()
    assert lex.weight("colour:black") == 1.0
    assert lex.weight("place:river") < lex.weight("source:outlet") < lex.weight("colour:black")
    assert lex.weight("解放路") == lex.word_weight
    assert dedupe_text.warm_up() >= 0.0


# --- nearness in the score ------------------------------------------------------------------


def near_candidate(**changes: object) -> Evidence:
    values: dict[str, object] = {
        "problem_id": 1,
        "distance_m": 40.0,
        "radius_m": 500.0,
        "gap": timedelta(0),
        "window": timedelta(days=7),
        "text": 0.0,
        "meaning": 0.6,
        "shared": ("black", "waste water"),
        "report_gap": timedelta(minutes=4),
    }
    values.update(changes)
    return Evidence(**values)  # type: ignore[arg-type]


def test_closeness_and_recency_ramps() -> None:
    assert closeness(30) == 1.0 and closeness(90) == pytest.approx(0.5) and closeness(200) == 0
    assert recent(timedelta(minutes=50)) == 1.0 and recent(None) == 0.0
    assert recent(timedelta(hours=25)) == 0.0 and 0 < recent(timedelta(hours=5)) < 1
    assert recent(timedelta(hours=-2)) == recent(timedelta(hours=2))


def test_a_close_recent_rephrasing_is_attached_with_reasons_the_desk_can_show() -> None:
    decision = decide([near_candidate()])
    assert decision.outcome == "attach"
    assert "same concept: black, waste water" in decision.reasons
    assert "40 m away" in decision.reasons and "4 minutes apart" in decision.reasons


def test_a_loose_rephrasing_is_attached_minutes_apart_and_only_suggested_a_day_later() -> None:
    assert decide([near_candidate(meaning=0.4)]).outcome == "attach"
    hours = timedelta(hours=30)
    assert decide([near_candidate(meaning=0.4, report_gap=hours, gap=hours)]).outcome == "suggest"


def test_the_same_words_far_off_are_only_suggested() -> None:
    farther = decide([near_candidate(distance_m=300.0, text=0.9, meaning=0.9)])
    assert farther.outcome == "suggest"  # 300 m: beyond ATTACH_MAX_M, whatever the words
    assert 300.0 > dedupe.ATTACH_MAX_M


def test_a_contradiction_blocks_nearness_and_attachment_unless_the_photo_matches() -> None:
    red = near_candidate(meaning=0.0, text=0.5, conflict=("colour",), shared=("waste water",))
    assert red.near == 0.0 and red.wording == 0.0
    decision = decide([red])
    assert decision.outcome == "suggest"
    assert "different colour" in decision.suggestions[0].reasons
    assert decide([near_candidate(meaning=0.0, conflict=("colour",), photo_bits=3)]).attach_to == 1


def test_nearness_needs_something_alike() -> None:
    nothing = near_candidate(meaning=0.0, shared=())
    assert nothing.near == 0.0
    assert decide([nothing]).outcome != "attach"


# --- the paraphrase set ---------------------------------------------------------------------


def test_the_paraphrase_splits_share_no_phrasing_and_are_deterministic() -> None:
    for tune, held in TYPES.values():
        assert not set(tune) & set(held)
    counts = dict.fromkeys(PARAPHRASE_KINDS, 3)
    one = paraphrase_set(split="held_out", counts=counts, background=5)
    assert one == paraphrase_set(split="held_out", counts=counts, background=5)
    assert len(one.clues) == 12 and len(one.problems) == 12 + 5
    held = {p for _, phrasings in TYPES.values() for p in phrasings}
    for clue in one.clues:
        assert any(p in clue.text for p in held), clue.text
        assert (clue.duplicate_of is not None) == (clue.kind in PARAPHRASE_POSITIVE)


def test_the_held_out_case_is_25_to_60_m_and_minutes_from_the_problem() -> None:
    labelled = paraphrase_set(counts={**dict.fromkeys(PARAPHRASE_KINDS, 0), "rephrased": 20})
    problems = {p.key: p for p in labelled.problems}
    for clue in labelled.clues:
        problem = problems[clue.duplicate_of or ""]
        distance = dedupe.haversine_m(clue.lat, clue.lon, problem.lat, problem.lon)
        assert 24.0 <= distance <= 61.0
        assert timedelta(minutes=2) <= clue.at - problem.reports[-1].at <= timedelta(minutes=40)
        assert clue.text not in {r.description for r in problem.reports}
