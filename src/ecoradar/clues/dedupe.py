"""Clue deduplication rules (pure): is a new clue about an open problem we already have?

No database here; ``dedupe_service.find_duplicates`` gathers the candidates (open problems of
the clue's category within the radius and time window) and hands each one to ``Evidence``; this
module scores them and decides.

Evidence, each in [0, 1]:

* **text** — the best cosine similarity between the clue's text and one piece of the problem's
  text (its title and description, or one finding's description), over counts of character
  bigrams and trigrams of the normalised text. Character n-grams need no word segmentation,
  which Chinese would otherwise need, and survive synonyms, reordered clauses, typos and
  homophones in part: what two reports of one incident share (the road, the company, the
  colour of the water) still gives common n-grams. Normalisation: NFKC (full-width letters,
  digits and spaces become half-width), lower case, the words any complaint uses removed
  (``STOP_PHRASES``: 你好, 请, 举报, 尽快, 附近, 居民, 影响...), then only letters and digits
  kept (punctuation, symbols and whitespace go) except Chinese function characters
  (``FUNCTION_CHARACTERS``: 的, 了, 在, 我, 很...). No corpus statistics (no TF-IDF): the
  score of a pair does not depend on what else is in the register.
* **meaning** — what the words mean (``clues.dedupe_text``): the weighted Dice coefficient of
  the concepts of the pollution-domain lexicon (``colour:black``, ``smell:stink``,
  ``source:outlet``...) and the content words jieba finds, best over the problem's pieces; 0
  when the two contradict (both name a colour, or a smell, or a kind of noise, and share none:
  ``conflict``). The *wording* is the larger of text and meaning (the meaning alone with a
  conflict); in the base the meaning counts ``W_MEANING_BASE`` of itself.
* **place** — ``1 - distance / radius`` (radius per category, ``radius_for``).
* **time** — ``1 - gap / window``, where the gap is how long before (or after) the problem's
  activity, from its report to its last update, the clue came.
* **photo** — the smallest Hamming distance between the 64-bit dHashes of the clue's photos
  and the problem's: ``PHOTO_SAME_BITS`` or fewer counts fully (a resized, recompressed or
  slightly cropped copy of one picture), ``PHOTO_UNRELATED_BITS`` or more not at all, linear in
  between. A photo is evidence *for* a match only: two people photographing one outlet take
  different pictures, so differing photos prove nothing.

* **near** — very close and very recent reports of one category: ``closeness * recent *
  wording``, closeness 1 up to ``NEAR_FULL_M`` and 0 from ``NEAR_ZERO_M``, recent 1 up to
  ``RECENT_FULL`` from the problem's nearest report (``report_gap``) and 0 from
  ``RECENT_ZERO``, linear in between; 0 with a conflict. Two people at one outlet minutes apart
  who say anything alike are most likely reporting one thing.

The score::

    base  = W_TEXT * max(text, W_MEANING_BASE * meaning) + W_PLACE * place + W_TIME * time
    score = 1 - (1 - base) * (1 - W_PHOTO * photo) * (1 - W_NEAR * near)

The photo and the nearness join as a noisy-OR: a matching photo lifts a weak base close to
``W_PHOTO``, and a strong base needs neither. ``decide`` then attaches the clue to the best
candidate when it is high-confidence on every count: score at least ``ATTACH_SCORE``, wording at
least ``ATTACH_MIN_TEXT`` or a photo within ``PHOTO_SAME_BITS``, no conflict (unless the photo
matches), no further than ``ATTACH_MAX_DISTANCE`` of the radius nor ``ATTACH_MAX_M``, and no
other candidate within ``ATTACH_MARGIN`` of its score (two problems alike are for an officer to
untangle). Every other candidate scoring at
least ``SUGGEST_SCORE`` (at most ``MAX_SUGGESTIONS``) is suggested to the officer with its
reasons. A wrong attachment hides a problem, a missed one only costs an officer a click, so the
attachment rule is the conservative one; the figures are in the README ("Deduplication of
clues") and come from ``bench/bench_dedupe.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Final, Literal

from ecoradar.clues.dedupe_text import FUNCTION_CHARACTERS as FUNCTION_CHARACTERS
from ecoradar.clues.dedupe_text import STOP_PHRASES as STOP_PHRASES
from ecoradar.clues.dedupe_text import best_text_similarity as best_text_similarity
from ecoradar.clues.dedupe_text import cosine as cosine
from ecoradar.clues.dedupe_text import ngrams as ngrams
from ecoradar.clues.dedupe_text import normalise as normalise
from ecoradar.clues.dedupe_text import text_similarity as text_similarity
from ecoradar.core.geo import bounding_box as bounding_box
from ecoradar.core.geo import haversine_m as haversine_m
from ecoradar.media.inspect import hamming

# --- configuration defaults -----------------------------------------------------------------

DEFAULT_RADIUS_M: Final = 250.0
"""Search radius of a category without its own (setting ``clue_dedupe_radius_m``)."""
CATEGORY_RADIUS_M: Final[Mapping[str, float]] = {
    "water": 500.0,  # a discharge is seen from anywhere along several hundred metres of river
    "air": 500.0,  # smoke and dust are seen from afar
    "odour": 500.0,  # a smell carries with the wind
    "noise": 150.0,  # noise is heard near its source, and neighbouring sites are common
}
"""Built-in radius per category; ``clue_dedupe_radius_overrides`` takes precedence."""
DEFAULT_WINDOW: Final = timedelta(days=7)

# --- weights and thresholds -----------------------------------------------------------------

W_TEXT: Final = 0.50
W_PLACE: Final = 0.35
W_TIME: Final = 0.15
"""Weights of the base score (they add up to 1)."""
W_PHOTO: Final = 0.90
"""How far a matching photo alone lifts the score (noisy-OR)."""
PHOTO_SAME_BITS: Final = 10
"""At most this many of 64 dHash bits apart: the same picture, resized, recompressed or
slightly cropped. Copies made as ``simulate.clue_scenarios`` makes them (at most 2.5 % cut off
each edge, 40-90 % of the size, JPEG quality 40-80, brightness +-8 %) stay within 11 bits, half
of them within 5."""
PHOTO_UNRELATED_BITS: Final = 20
"""At least this many bits apart: no photo evidence. Unrelated pictures differ in about 32
bits; of 11,175 pairs of the generator's pictures none came closer than 14."""
ATTACH_SCORE: Final = 0.72
"""A clue attaches automatically only to a candidate scoring at least this."""
ATTACH_MIN_TEXT: Final = 0.35
"""... whose text is at least this similar, unless a photo matches (``PHOTO_SAME_BITS``)."""
ATTACH_MAX_DISTANCE: Final = 0.5
"""... that lies within this fraction of the radius ..."""
ATTACH_MAX_M: Final = 150.0
"""... and within this many metres (the same words 250 m away are another outlet as often as
not)."""
ATTACH_MARGIN: Final = 0.08
"""... and no other candidate scores within this of it."""
W_MEANING_BASE: Final = 0.6
"""The meaning counts this much in the base, against the n-grams' full weight: concepts are
coarse (many outlets pour black water into a river), shared n-grams often name the firm. Close
and recent, the meaning counts fully (in ``near``)."""
W_NEAR: Final = 0.90
"""How far nearness (close, recent, alike) lifts the score (noisy-OR)."""
NEAR_FULL_M: Final = 60.0
NEAR_ZERO_M: Final = 120.0
"""Closeness is 1 up to ``NEAR_FULL_M`` (two phones' GPS on one river bank), 0 from
``NEAR_ZERO_M``."""
RECENT_FULL: Final = timedelta(hours=1)
RECENT_ZERO: Final = timedelta(hours=24)
"""Recent is 1 up to ``RECENT_FULL`` from the problem's nearest report, 0 from ``RECENT_ZERO``."""
SUGGEST_SCORE: Final = 0.40
"""Candidates scoring at least this (and not attached) are suggested to the officer."""
MAX_SUGGESTIONS: Final = 5

Outcome = Literal["attach", "suggest", "new"]


# --- place, time, photo (distances: ecoradar.core.geo) ----------------------------------------


def radius_for(
    category: str, default_m: float = DEFAULT_RADIUS_M, overrides: Mapping[str, float] | None = None
) -> float:
    """The search radius of a category: the override, else the built-in one, else the default."""
    if overrides and category in overrides:
        return float(overrides[category])
    return CATEGORY_RADIUS_M.get(category, default_m)


def proximity(distance_m: float, radius_m: float) -> float:
    """1 at the same place, falling linearly to 0 at the radius."""
    return max(0.0, 1.0 - distance_m / radius_m)


def recency(gap: timedelta, window: timedelta) -> float:
    """1 while the problem is active, falling linearly to 0 a window away."""
    return max(0.0, 1.0 - abs(gap) / window)


def activity_gap(at_seconds: float, first_seconds: float, last_seconds: float) -> float:
    """Seconds from the span [first, last] of a problem's activity to the moment ``at``
    (0 inside it)."""
    if at_seconds < first_seconds:
        return first_seconds - at_seconds
    return max(0.0, at_seconds - last_seconds)


def photo_bits(clue: Sequence[str], problem: Sequence[str]) -> int | None:
    """The smallest Hamming distance between any clue photo and any problem photo (None when
    either has none)."""
    return min((hamming(a, b) for a in clue for b in problem), default=None)


def closeness(distance_m: float) -> float:
    """1 up to ``NEAR_FULL_M``, 0 from ``NEAR_ZERO_M``, linear in between."""
    return _ramp(distance_m, NEAR_FULL_M, NEAR_ZERO_M)


def recent(gap: timedelta | None) -> float:
    """1 up to ``RECENT_FULL``, 0 from ``RECENT_ZERO`` (and without a report time)."""
    if gap is None:
        return 0.0
    full, zero = RECENT_FULL.total_seconds(), RECENT_ZERO.total_seconds()
    return _ramp(abs(gap.total_seconds()), full, zero)


def _ramp(value: float, full: float, zero: float) -> float:
    if value <= full:
        return 1.0
    return max(0.0, (zero - value) / (zero - full))


def photo_similarity(bits: int | None) -> float:
    """1 for the same picture, 0 for unrelated ones or no photos, linear in between."""
    if bits is None:
        return 0.0
    span = PHOTO_UNRELATED_BITS - PHOTO_SAME_BITS
    return min(1.0, max(0.0, (PHOTO_UNRELATED_BITS - bits) / span))


# --- scoring and deciding -------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """What is known about one candidate problem (of the clue's category, open, in range)."""

    problem_id: int
    distance_m: float
    radius_m: float
    gap: timedelta
    """How far the clue's time lies from the problem's activity (report to last update)."""
    window: timedelta
    text: float
    photo_bits: int | None = None
    meaning: float = 0.0
    """``dedupe_text.best_meaning``'s score."""
    shared: tuple[str, ...] = ()
    """The concepts both texts name (labels, heaviest first)."""
    conflict: tuple[str, ...] = ()
    """The lexicon families in which the texts contradict (``colour``: black / red)."""
    report_gap: timedelta | None = None
    """How far the clue's time lies from the problem's nearest report (None: unknown)."""

    @property
    def place(self) -> float:
        return proximity(self.distance_m, self.radius_m)

    @property
    def time(self) -> float:
        return recency(self.gap, self.window)

    @property
    def photo(self) -> float:
        return photo_similarity(self.photo_bits)

    @property
    def wording(self) -> float:
        """The larger of text and meaning; the meaning alone (0) with a conflict."""
        return self.meaning if self.conflict else max(self.text, self.meaning)

    @property
    def near(self) -> float:
        """Close, recent and alike (see the module's documentation)."""
        if self.conflict:
            return 0.0
        return closeness(self.distance_m) * recent(self.report_gap) * self.wording

    @property
    def base(self) -> float:
        words = max(0.0 if self.conflict else self.text, W_MEANING_BASE * self.meaning)
        return W_TEXT * words + W_PLACE * self.place + W_TIME * self.time

    @property
    def score(self) -> float:
        """The combined score in [0, 1] (see the module's documentation)."""
        value = 1.0 - (1.0 - self.base) * (1.0 - W_PHOTO * self.photo) * (1.0 - W_NEAR * self.near)
        return round(min(1.0, max(0.0, value)), 4)

    @property
    def same_photo(self) -> bool:
        return self.photo_bits is not None and self.photo_bits <= PHOTO_SAME_BITS

    def reasons(self) -> tuple[str, ...]:
        """Why it is a candidate, for the officer: ``same category``, ``120 m away``,
        ``text 0.62``, ``same concept: black, waste water`` (or ``different colour``) when the
        lexicon found any, ``photo 4 bits`` (when both have photos), ``4 minutes apart`` (from
        the problem's nearest report, under an hour), ``active 2 d ago`` (how far the clue's
        time lies from the problem's activity; 0 within it: ``active now``)."""
        found = ["same category", f"{self.distance_m:.0f} m away", f"text {self.text:.2f}"]
        if self.conflict:
            found.append("different " + " and ".join(self.conflict))
        elif self.shared:
            found.append("same concept: " + ", ".join(self.shared[:4]))
        if self.photo_bits is not None:
            found.append(f"photo {self.photo_bits} bits")
        if self.report_gap is not None and abs(self.report_gap) < timedelta(hours=1):
            minutes = round(abs(self.report_gap.total_seconds()) / 60)
            found.append(f"{minutes} minute{'s' if minutes != 1 else ''} apart")
        found.append(_age(self.gap))
        return tuple(found)


def _age(gap: timedelta) -> str:
    seconds = abs(gap.total_seconds())
    if seconds < 3600:
        return "active now"
    if seconds < 2 * 86400:
        return f"active {seconds / 3600:.0f} h ago"
    return f"active {seconds / 86400:.0f} d ago"


@dataclass(frozen=True)
class Suggestion:
    """A candidate an officer should look at: the problem, its score and why."""

    problem_id: int
    score: float
    distance_m: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class DedupeDecision:
    """What to do with a clue: attach it to ``attach_to`` (high-confidence; ``score`` and
    ``reasons`` are that match's), or open a new problem, with ``suggestions`` for the officer
    either way. ``score`` is the best candidate's score, None without candidates."""

    attach_to: int | None
    score: float | None
    suggestions: tuple[Suggestion, ...]
    reasons: tuple[str, ...] = ()

    @property
    def outcome(self) -> Outcome:
        """``attach``, ``suggest`` (new problem, with suggestions) or ``new``."""
        if self.attach_to is not None:
            return "attach"
        return "suggest" if self.suggestions else "new"


NO_MATCH: Final = DedupeDecision(attach_to=None, score=None, suggestions=())


def _rank(evidence: Evidence) -> tuple[float, float, int]:
    return (-evidence.score, evidence.distance_m, evidence.problem_id)


def confident(evidence: Evidence) -> bool:
    """High-confidence on every count (see ``decide``), ignoring other candidates."""
    return (
        evidence.score >= ATTACH_SCORE
        and (evidence.wording >= ATTACH_MIN_TEXT or evidence.same_photo)
        and (not evidence.conflict or evidence.same_photo)
        and evidence.distance_m <= min(ATTACH_MAX_DISTANCE * evidence.radius_m, ATTACH_MAX_M)
    )


def decide(candidates: Iterable[Evidence]) -> DedupeDecision:
    """Attach, suggest or new: the best candidate is attached to when ``confident`` and no
    other scores within ``ATTACH_MARGIN`` of it; candidates scoring at least ``SUGGEST_SCORE``
    are suggested (the attached one excepted), best first."""
    ranked = sorted(candidates, key=_rank)
    if not ranked:
        return NO_MATCH
    best = ranked[0]
    runner_up = ranked[1].score if len(ranked) > 1 else 0.0
    attach = confident(best) and best.score - runner_up >= ATTACH_MARGIN
    rest = ranked[1:] if attach else ranked
    suggestions = tuple(
        Suggestion(
            problem_id=e.problem_id,
            score=e.score,
            distance_m=round(e.distance_m, 1),
            reasons=_suggestion_reasons(e, best, attach, runner_up),
        )
        for e in rest[:MAX_SUGGESTIONS]
        if e.score >= SUGGEST_SCORE
    )
    return DedupeDecision(
        attach_to=best.problem_id if attach else None,
        score=best.score,
        suggestions=suggestions,
        reasons=best.reasons() if attach else (),
    )


def _suggestion_reasons(
    evidence: Evidence, best: Evidence, attached: bool, runner_up: float
) -> tuple[str, ...]:
    reasons = evidence.reasons()
    if not attached and evidence is best and confident(best):
        reasons += (f"another problem scores {runner_up:.2f}",)
    return reasons
