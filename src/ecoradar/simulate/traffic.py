"""Plausible HJ 212 traffic for registered monitoring points (pure; deterministic per seed).

A value is ``limit x level x diurnal x day load x hour wander x noise``:

* ``level``: a stable share of the limit per point and factor, 30 % to 60 %, so a compliant
  plant stays well under its limits;
* ``diurnal``: busier by day (peak 14:00, trough 02:00 China time), 0.5 to 1.0, evaluated at
  the middle of the interval (a daily value gets the day's mean, 0.75);
* ``day load``: production varies from day to day, +-10 % per point and CST date;
* ``hour wander``: a smooth +-7 % drift per factor, interpolated between hours, so minute values
  scatter around their hour's value instead of jumping;
* ``noise``: independent per interval, widest for real-time samples (+-12 %), narrowest for
  daily values (+-2 %): averaging over a longer interval removes noise.

Gas points carry flue-gas flow and O2, and factors with a reference O2 carry the converted
concentration (``Zs...``, C_zs = C x (21 - O2_ref) / (21 - O2)); water points carry the flow.
Hourly and daily data carry the emitted amount (``Cou``). Every data flag is N.

:func:`upload` draws the noise from a generator seeded by (seed, MN, CN, DataTime), so an
interval's packet is the same whenever it is made: a simulated device regenerates its history
for a recovery request and sends exactly what it sent the first time.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from ecoradar.core.clock import CHINA_TZ
from ecoradar.hj212.encoder import encode
from ecoradar.hj212.packet import LENIENT_MAX_LENGTH, Edition, flag_for, format_time, make_qn

GAS_FLOW, WATER_FLOW, OXYGEN, PH = "a00000", "w00000", "a19001", "w01001"
CN_REALTIME, CN_MINUTE, CN_HOUR, CN_DAY = "2011", "2051", "2061", "2031"

STEP: dict[str, timedelta] = {
    CN_MINUTE: timedelta(minutes=1),
    CN_HOUR: timedelta(hours=1),
    CN_DAY: timedelta(days=1),
}
"""Interval of each aggregate upload (minute data may use a longer MinInterval, CN 1064)."""

_NOISE = {CN_REALTIME: 0.12, CN_MINUTE: 0.08, CN_HOUR: 0.04, CN_DAY: 0.02}
_SPREAD = {CN_MINUTE: 0.10, CN_HOUR: 0.25, CN_DAY: 0.45}  # (Max - Min) / 2 / Avg, roughly
_SECONDS = {CN_MINUTE: 60.0, CN_HOUR: 3600.0, CN_DAY: 86400.0}


@dataclass(frozen=True)
class FactorProfile:
    code: str
    limit: float
    o2_reference: float | None = None


@dataclass(frozen=True)
class PointProfile:
    """What a simulated data acquisition unit sends for."""

    mn: str
    password: str
    medium: str
    factors: tuple[FactorProfile, ...]
    excess: float = 0.0
    """Share of hours (drawn per point and hour) in which the first factor runs at 1.3-1.8
    times its limit: an enterprise that exceeds now and then (the demo's careless ones)."""
    falsify: float = 0.0
    """Share of days (drawn per point and CST date) with a falsification spell on the factor
    with the highest limit (pH aside), half of them each way: a stuck analyser sending one value
    (30 % to 60 % of the limit, ``Min`` = ``Max`` = ``Avg``) for 6 to 10 hours from between
    08:00 and 13:00 (``flatline``), or the whole day's values pinned at 89 % to 95 % of the
    limit, +-1 % around a level for the day (``near_limit_pinning``): an enterprise that
    falsifies (the demo's falsifiers). Daily values are left as they are."""

    @property
    def st(self) -> str:
        return "31" if self.medium == "gas" else "32"


def stable_unit(*parts: object) -> float:
    """A stable number in [0, 1) for ``parts`` (the same in every process, unlike ``hash``)."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


_unit = stable_unit


def _diurnal(when: datetime) -> float:
    local = when.astimezone(CHINA_TZ)
    hour = local.hour + local.minute / 60 + local.second / 3600
    return 0.75 + 0.25 * math.sin((hour - 8) / 24 * 2 * math.pi)


def _shape(when: datetime, cn: str) -> float:
    """The diurnal factor of the interval starting at ``when`` (its middle; a day's mean)."""
    if cn == CN_DAY:
        return 0.75
    return _diurnal(when + timedelta(seconds=_SECONDS.get(cn, 0.0) / 2))


def _day_load(mn: str, when: datetime) -> float:
    return 0.9 + 0.2 * _unit(mn, "day", when.astimezone(CHINA_TZ).date().isoformat())


def _wander(mn: str, code: str, when: datetime) -> float:
    """+-7 % drift per factor, linear between whole hours (CST)."""
    hours = when.timestamp() / 3600
    base = math.floor(hours)
    frac = hours - base
    a, b = _unit(mn, code, base), _unit(mn, code, base + 1)
    return 0.93 + 0.14 * (a + (b - a) * frac)


def _level(profile: PointProfile, factor: FactorProfile) -> float:
    """A stable per point and factor share of the limit, between 30 % and 60 %."""
    return 0.3 + 0.3 * _unit(profile.mn, factor.code, "level")


def _fmt(value: float) -> str:
    return f"{value:.3f}"


def _triple(mean: float, rng: random.Random, cn: str) -> tuple[float, float, float]:
    spread = _SPREAD.get(cn, 0.0)
    return (
        mean,
        mean * (1 - spread * rng.uniform(0.4, 1.0)),
        mean * (1 + spread * rng.uniform(0.4, 1.0)),
    )


def _item(avg: float, lo: float, hi: float, cn: str, prefix: str = "") -> dict[str, str]:
    if cn == CN_REALTIME:
        return {f"{prefix}Rtd": _fmt(avg)}
    return {f"{prefix}Avg": _fmt(avg), f"{prefix}Min": _fmt(lo), f"{prefix}Max": _fmt(hi)}


def _spell(profile: PointProfile, when: datetime) -> tuple[str, float] | None:
    """The falsification pattern (``flatline`` or ``near_limit_pinning``) and its level (share
    of the limit) at ``when``, if ``when`` is in one of ``profile``'s spells."""
    local = when.astimezone(CHINA_TZ)
    day = local.date().isoformat()
    if _unit(profile.mn, "falsify", day) >= profile.falsify:
        return None
    if _unit(profile.mn, "falsify-kind", day) < 0.5:
        return "near_limit_pinning", 0.9 + 0.04 * _unit(profile.mn, "pin-level", day)
    start = 8 + int(6 * _unit(profile.mn, "flat-start", day))
    hours = 6 + int(5 * _unit(profile.mn, "flat-hours", day))
    if start <= local.hour < start + hours:
        return "flatline", 0.3 + 0.3 * _unit(profile.mn, "flat-level", day)
    return None


def values_at(
    profile: PointProfile, when: datetime, rng: random.Random, *, cn: str = CN_HOUR
) -> dict[str, dict[str, str]]:
    """Items of the interval of kind ``cn`` starting at ``when``, flag N.

    Real-time (2011): ``Rtd`` (and ``ZsRtd``); minute, hourly and daily data: ``Avg``, ``Min``,
    ``Max`` (and ``ZsAvg``, ``ZsMin``, ``ZsMax``), hourly and daily data also ``Cou``.
    """
    noise = _NOISE.get(cn, _NOISE[CN_HOUR])
    seconds = _SECONDS.get(cn)
    cou = cn in (CN_HOUR, CN_DAY)
    load = _shape(when, cn) * _day_load(profile.mn, when)
    middle = when + timedelta(seconds=(seconds or 0.0) / 2)
    gas = profile.medium == "gas"
    o2 = 9.0 + rng.uniform(-1.0, 1.0) * (0.8 if cn == CN_REALTIME else 0.5)
    if gas:
        flow = (40 + 80 * _unit(profile.mn, "flow")) * load * rng.uniform(1 - noise, 1 + noise)
    else:
        flow = (5 + 45 * _unit(profile.mn, "flow")) * load * rng.uniform(1 - noise, 1 + noise)
    spell = _spell(profile, middle) if profile.falsify and cn != CN_DAY else None
    limited = [f for f in profile.factors if f.code != PH] if spell else []
    target = max(limited, key=lambda f: f.limit, default=None)
    items: dict[str, dict[str, str]] = {}
    for factor in profile.factors:
        if factor.code == PH:
            ph = 7.2 + 0.4 * (2 * _unit(profile.mn, "ph") - 1) + rng.uniform(-0.1, 0.1)
            item = _item(ph, ph - 0.2 * rng.uniform(0.5, 1), ph + 0.2 * rng.uniform(0.5, 1), cn)
            item["Flag"] = "N"
            items[PH] = item
            continue
        wander = 1.0 if cn == CN_DAY else _wander(profile.mn, factor.code, middle)
        mean = factor.limit * _level(profile, factor) * load * wander
        if profile.excess and factor is profile.factors[0] and cn != CN_DAY:
            hour = int(middle.timestamp() // 3600)
            if _unit(profile.mn, "excess", hour) < profile.excess:
                mean = factor.limit * (1.3 + 0.5 * _unit(profile.mn, "over", hour)) * wander
        jitter = rng.uniform(1 - noise, 1 + noise)
        stuck = spell is not None and factor is target and spell[0] == "flatline"
        if spell is not None and factor is target:
            # the same draws as any interval, so the other items stay as they were
            mean = factor.limit * spell[1] * (1.0 if stuck else 1 + (jitter - 1) * 0.01 / noise)
        else:
            mean *= jitter
        avg, lo, hi = _triple(mean, rng, cn)
        if stuck:
            lo = hi = avg
        if gas and factor.o2_reference is not None and factor.o2_reference < 21:
            # measured = converted x ratio; a stuck analyser's raw value is at the mean O2 (9 %)
            ratio = (21 - (9.0 if stuck else o2)) / (21 - factor.o2_reference)
            item = _item(avg * ratio, lo * ratio, hi * ratio, cn)
            item.update(_item(avg, lo, hi, cn, "Zs"))
            measured = avg * ratio
        else:
            item = _item(avg, lo, hi, cn)
            measured = avg
        if cou and seconds is not None:
            # mg/m3 x m3/s x s and mg/L x L/s x s are both mg; Cou is in kg.
            item["Cou"] = _fmt(measured * flow * seconds / 1e6)
        item["Flag"] = "N"
        items[factor.code] = item
    flow_code = GAS_FLOW if gas else WATER_FLOW
    flow_item = _item(*_triple(flow, rng, cn), cn)
    if cou and seconds is not None:
        flow_item["Cou"] = _fmt(flow * seconds / (1 if gas else 1000))  # m3
    flow_item["Flag"] = "N"
    items[flow_code] = flow_item
    if gas:
        items[OXYGEN] = {**_item(o2, o2 - 0.3, o2 + 0.3, cn), "Flag": "N"}
    return items


def data_packet(
    profile: PointProfile,
    cn: str,
    data_time: datetime,
    rng: random.Random,
    *,
    needs_answer: bool = False,
    sent_at: datetime | None = None,
    edition: Edition = Edition.V2017,
) -> bytes:
    """One upload (2011 real-time, 2051 minute, 2061 hourly, 2031 daily) for ``data_time``.

    The QN is ``sent_at`` (default ``data_time``). Data segments stay within the standard's
    1024 bytes for points of up to four factors; larger points send longer frames, as real
    devices do (the platform's lenient limit is 4096 bytes).
    """
    return encode(
        st=profile.st,
        cn=cn,
        pw=profile.password,
        mn=profile.mn,
        qn=make_qn(sent_at or data_time),
        flag=flag_for(edition, needs_answer=needs_answer),
        data_time=data_time,
        items=values_at(profile, data_time, rng, cn=cn),
        max_length=LENIENT_MAX_LENGTH,
    )


def interval_rng(
    profile: PointProfile, cn: str, data_time: datetime, *, seed: int = 1
) -> random.Random:
    """The generator of one interval's noise: the same for the same seed, MN, CN and DataTime."""
    return random.Random(f"{seed}:{profile.mn}:{cn}:{format_time(data_time)}")


def upload(
    profile: PointProfile,
    cn: str,
    data_time: datetime,
    *,
    seed: int = 1,
    needs_answer: bool = False,
    sent_at: datetime | None = None,
    edition: Edition = Edition.V2017,
) -> bytes:
    """The packet of one interval, identical (but for the QN) whenever it is made again."""
    return data_packet(
        profile,
        cn,
        data_time,
        interval_rng(profile, cn, data_time, seed=seed),
        needs_answer=needs_answer,
        sent_at=sent_at,
        edition=edition,
    )


def hourly_series(
    profile: PointProfile, start: datetime, hours: int, *, seed: int = 1
) -> list[bytes]:
    """``hours`` consecutive hourly packets (CN 2061) from ``start`` (an hour boundary).

    The values equal those a simulated device with the same seed sends for these hours.
    """
    return [upload(profile, CN_HOUR, start + timedelta(hours=h), seed=seed) for h in range(hours)]
