"""Synthetic HJ 212 traffic (simulate/traffic.py), when simulated devices send
(simulate/devices_schedule.py) and how they answer requests (simulate/devices_requests.py)."""

from __future__ import annotations

import random
import statistics
from datetime import UTC, datetime, timedelta

import pytest

from ecoradar.core.clock import FakeClock
from ecoradar.hj212 import STRICT, Packet, decode, history_request, set_time_request
from ecoradar.hj212.codec import encode
from ecoradar.hj212.packet import CST, Edition, flag_for, format_time
from ecoradar.simulate.devices_requests import (
    DeviceState,
    Recover,
    Reply,
    SetClock,
    SetRealtime,
    Step,
    answer,
)
from ecoradar.simulate.devices_schedule import (
    SimClock,
    Stream,
    backoff_delay,
    ceil_time,
    floor_time,
    history_times,
)
from ecoradar.simulate.traffic import (
    CN_DAY,
    CN_HOUR,
    CN_MINUTE,
    CN_REALTIME,
    GAS_FLOW,
    OXYGEN,
    PH,
    WATER_FLOW,
    FactorProfile,
    PointProfile,
    hourly_series,
    upload,
)

GAS = PointProfile(
    "0123456789ABCDEF01234567",
    "123456",
    "gas",
    (
        FactorProfile("a21026", 35.0, 6.0),
        FactorProfile("a21002", 50.0, 6.0),
        FactorProfile("a34013", 10.0, 6.0),
    ),
)
WATER = PointProfile(
    "0123456789ABCDEF0123ABCD",
    "654321",
    "water",
    (
        FactorProfile("w01018", 50.0),
        FactorProfile("w21003", 5.0),
        FactorProfile("w21011", 0.5),
        FactorProfile(PH, 9.0),
    ),
)
DAY = datetime(2026, 11, 2, tzinfo=CST)
HOUR = timedelta(hours=1)


def items_of(frame: bytes) -> dict[str, dict[str, str]]:
    return decode(frame, STRICT).items


def avg(frame: bytes, code: str, suffix: str = "Avg") -> float:
    return float(items_of(frame)[code][suffix])


# --- values --------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_packets() -> None:
    assert hourly_series(GAS, DAY, 24, seed=3) == hourly_series(GAS, DAY, 24, seed=3)


def test_another_seed_gives_other_values() -> None:
    one = [items_of(f) for f in hourly_series(GAS, DAY, 24, seed=3)]
    two = [items_of(f) for f in hourly_series(GAS, DAY, 24, seed=4)]
    assert one != two


def test_an_interval_has_the_same_values_whenever_it_is_made_again() -> None:
    first = upload(GAS, CN_HOUR, DAY + 5 * HOUR, seed=2, sent_at=DAY + 6 * HOUR)
    again = upload(GAS, CN_HOUR, DAY + 5 * HOUR, seed=2, sent_at=DAY + 30 * HOUR)
    assert first != again  # another QN
    assert items_of(first) == items_of(again)


def test_an_hourly_series_is_what_a_device_uploads_for_those_hours() -> None:
    series = hourly_series(WATER, DAY, 6, seed=9)
    for h, frame in enumerate(series):
        packet = decode(frame, STRICT)
        assert packet.data_time == DAY + h * HOUR
        assert packet.items == items_of(upload(WATER, CN_HOUR, DAY + h * HOUR, seed=9))


@pytest.mark.parametrize("profile", [GAS, WATER], ids=["gas", "water"])
def test_values_are_positive_and_under_the_limits_on_average(profile: PointProfile) -> None:
    frames = hourly_series(profile, DAY, 24 * 7, seed=1)
    for factor in profile.factors:
        if factor.code == PH:
            continue
        suffix = "ZsAvg" if factor.o2_reference is not None else "Avg"
        values = [avg(f, factor.code, suffix) for f in frames]
        assert min(values) > 0
        assert max(values) < factor.limit
        assert 0.15 * factor.limit < statistics.mean(values) < 0.7 * factor.limit


def test_ph_stays_neutral() -> None:
    frames = [upload(WATER, cn, DAY + HOUR * h) for h in range(48) for cn in (CN_REALTIME, CN_HOUR)]
    for frame in frames:
        for suffix, value in items_of(frame)[PH].items():
            if suffix != "Flag":
                assert 6.0 < float(value) < 9.0


@pytest.mark.parametrize("profile", [GAS, WATER], ids=["gas", "water"])
def test_afternoons_are_busier_than_nights(profile: PointProfile) -> None:
    frames = hourly_series(profile, DAY, 24 * 14, seed=5)
    for factor in profile.factors:
        if factor.code == PH:
            continue
        by_hour: dict[int, list[float]] = {}
        for frame in frames:
            packet = decode(frame)
            assert packet.data_time is not None
            hour = packet.data_time.astimezone(CST).hour
            by_hour.setdefault(hour, []).append(float(packet.items[factor.code]["Avg"]))
        afternoon = statistics.mean(v for h in (12, 13, 14, 15) for v in by_hour[h])
        night = statistics.mean(v for h in (1, 2, 3, 4) for v in by_hour[h])
        assert afternoon > 1.3 * night


def test_minute_values_scatter_around_their_hours_value() -> None:
    hour = DAY + 10 * HOUR
    hourly = avg(upload(GAS, CN_HOUR, hour), "a21002")
    minutes = [
        avg(upload(GAS, CN_MINUTE, hour + timedelta(minutes=m)), "a21002") for m in range(60)
    ]
    assert statistics.mean(minutes) == pytest.approx(hourly, rel=0.1)
    assert statistics.pstdev(minutes) > 0


def test_a_daily_value_is_near_the_mean_of_its_hours() -> None:
    hours = [avg(f, "w01018") for f in hourly_series(WATER, DAY, 24)]
    assert avg(upload(WATER, CN_DAY, DAY), "w01018") == pytest.approx(
        statistics.mean(hours), rel=0.15
    )


def test_gas_values_carry_the_converted_concentration_of_the_measured_oxygen() -> None:
    items = items_of(upload(GAS, CN_HOUR, DAY + 9 * HOUR))
    o2 = float(items[OXYGEN]["Avg"])
    measured, converted = float(items["a21026"]["Avg"]), float(items["a21026"]["ZsAvg"])
    assert converted == pytest.approx(measured * (21 - 6.0) / (21 - o2), rel=0.01)


def test_hourly_amounts_are_concentration_times_flow() -> None:
    items = items_of(upload(WATER, CN_HOUR, DAY + 9 * HOUR))
    flow = float(items[WATER_FLOW]["Avg"])  # L/s
    cod = float(items["w01018"]["Avg"])  # mg/L
    assert float(items["w01018"]["Cou"]) == pytest.approx(cod * flow * 3600 / 1e6, rel=0.01)
    assert float(items[WATER_FLOW]["Cou"]) == pytest.approx(flow * 3.6, rel=0.01)  # m3


def test_real_time_data_carries_rtd_and_the_converted_rtd() -> None:
    items = items_of(upload(GAS, CN_REALTIME, DAY + 9 * HOUR))
    assert set(items["a21026"]) == {"Rtd", "ZsRtd", "Flag"}
    assert set(items[GAS_FLOW]) == {"Rtd", "Flag"}
    assert set(items[OXYGEN]) == {"Rtd", "Flag"}


@pytest.mark.parametrize("cn", [CN_REALTIME, CN_MINUTE, CN_HOUR, CN_DAY])
@pytest.mark.parametrize("profile", [GAS, WATER], ids=["gas", "water"])
def test_packets_decode_strictly_with_the_codec(profile: PointProfile, cn: str) -> None:
    when = DAY + 13 * HOUR
    frame = upload(profile, cn, when, needs_answer=True, sent_at=when + timedelta(seconds=7))
    packet = decode(frame, STRICT)  # at most 1024 bytes, every field of table 3
    assert (packet.st, packet.cn, packet.mn, packet.pw) == (
        profile.st,
        cn,
        profile.mn,
        profile.password,
    )
    assert packet.needs_answer
    assert packet.data_time == when
    assert packet.qn == "20261102130007000"
    assert set(packet.items) >= {f.code for f in profile.factors}
    assert all(values["Flag"] == "N" for values in packet.items.values())


# --- when devices send ----------------------------------------------------------------------


def test_intervals_are_aligned_in_china_time() -> None:
    at = datetime(2026, 11, 2, 17, 30, 15, tzinfo=UTC)  # 01:30:15 on 3 November in China
    assert floor_time(at, timedelta(days=1)) == datetime(2026, 11, 3, tzinfo=CST)
    assert floor_time(at, HOUR) == datetime(2026, 11, 3, 1, tzinfo=CST)
    assert floor_time(at, timedelta(seconds=30)) == datetime(2026, 11, 3, 1, 30, tzinfo=CST)
    assert ceil_time(at, HOUR) == datetime(2026, 11, 3, 2, tzinfo=CST)
    assert ceil_time(DAY, HOUR) == DAY


def test_the_simulated_clock_runs_at_its_speed() -> None:
    now = [100.0]
    clock = SimClock(DAY, 60, monotonic=lambda: now[0])
    now[0] += 2.5
    assert clock.now() == DAY + timedelta(minutes=2.5)
    assert clock.real_seconds(timedelta(minutes=1)) == 1.0
    assert clock.real_seconds(timedelta(minutes=-1)) == 0.0


def test_a_simulated_clock_with_a_ceiling_catches_up_and_then_keeps_its_pace() -> None:
    now = [100.0]
    platform = FakeClock(DAY + timedelta(minutes=3))
    clock = SimClock(DAY, 60, monotonic=lambda: now[0], ceiling=platform)
    now[0] += 2.5
    assert clock.now() == DAY + timedelta(minutes=2.5)  # replaying, 60 times faster
    assert clock.real_seconds(timedelta(minutes=1)) == 1.0
    now[0] += 10
    assert clock.now() == platform.now()  # caught up: never ahead of the platform
    assert clock.real_seconds(timedelta(minutes=1)) == 60.0  # then at the platform's pace
    platform.advance(timedelta(minutes=1))
    assert clock.now() == DAY + timedelta(minutes=4)


def test_an_aggregate_is_due_when_its_interval_ends_and_goes_in_order() -> None:
    stream = Stream(CN_HOUR, HOUR, True, timedelta(seconds=5))
    stream.resync(DAY + timedelta(minutes=20))
    assert stream.next_time == DAY
    assert stream.next_due == DAY + HOUR + timedelta(seconds=5)
    late = DAY + 5 * HOUR
    assert [stream.take(late) for _ in range(3)] == [DAY, DAY + HOUR, DAY + 2 * HOUR]


def test_a_late_real_time_stream_skips_to_the_newest_sample() -> None:
    stream = Stream(CN_REALTIME, timedelta(seconds=30), False)
    stream.resync(DAY)
    assert stream.take(DAY) == DAY
    assert stream.take(DAY + timedelta(minutes=10, seconds=40)) == DAY + timedelta(
        minutes=10, seconds=30
    )


def test_history_holds_complete_intervals_between_begin_and_end_inclusive() -> None:
    now = DAY + 5 * HOUR + timedelta(minutes=10)
    kept = now - timedelta(days=30)
    times = history_times(DAY, DAY + 2 * HOUR, step=HOUR, now=now, earliest=kept, limit=99)
    assert times == [DAY, DAY + HOUR, DAY + 2 * HOUR]
    # the hour in progress is not history yet, nor anything after it
    later = history_times(
        DAY + 3 * HOUR, DAY + 9 * HOUR, step=HOUR, now=now, earliest=kept, limit=99
    )
    assert later == [DAY + 3 * HOUR, DAY + 4 * HOUR]
    assert history_times(
        DAY, DAY + 4 * HOUR, step=HOUR, now=now, earliest=DAY + 3 * HOUR, limit=99
    ) == [
        DAY + 3 * HOUR,
        DAY + 4 * HOUR,
    ]
    assert history_times(DAY, DAY + 4 * HOUR, step=HOUR, now=now, earliest=kept, limit=2) == [
        DAY,
        DAY + HOUR,
    ]
    assert (
        history_times(DAY + 8 * HOUR, DAY + 9 * HOUR, step=HOUR, now=now, earliest=kept, limit=9)
        == []
    )


def test_reconnection_backoff_grows_to_its_cap_with_jitter() -> None:
    rng = random.Random(1)
    delays = [backoff_delay(n, rng, base=0.5, cap=30.0) for n in range(12)]
    assert 0.25 <= delays[0] <= 0.5
    assert 4.0 <= delays[4] <= 8.0
    assert all(15.0 <= d <= 30.0 for d in delays[6:])
    assert len(set(delays[6:])) > 1
    assert backoff_delay(10_000, rng, base=0.5, cap=30.0) <= 30.0


# --- how devices answer requests -----------------------------------------------------------


def state(now: datetime = DAY + 10 * HOUR) -> DeviceState:
    return DeviceState(
        profile=GAS,
        now=now,
        earliest=now - timedelta(days=30),
        minute_step=timedelta(minutes=1),
        limit=5000,
    )


def recovery(cn: str, begin: datetime, end: datetime, pw: str = GAS.password) -> Packet:
    return decode(
        history_request(
            cn=cn, st=GAS.st, pw=pw, mn=GAS.mn, qn="20261102100000123", begin=begin, end=end
        )
    )


def replies(steps: list[Step]) -> list[tuple[str, dict[str, str]]]:
    return [(decode(s.frame).cn, decode(s.frame).cp) for s in steps if isinstance(s, Reply)]


def test_a_history_request_is_answered_uploaded_and_finished() -> None:
    steps = answer(recovery(CN_HOUR, DAY + 2 * HOUR, DAY + 4 * HOUR), state())
    assert replies(steps) == [("9011", {"QnRtn": "1"}), ("9012", {"ExeRtn": "1"})]
    assert steps[1] == Recover(CN_HOUR, (DAY + 2 * HOUR, DAY + 3 * HOUR, DAY + 4 * HOUR))
    assert isinstance(steps[0], Reply)
    first = decode(steps[0].frame)
    assert (first.qn, first.st, first.flag) == ("20261102100000123", "91", 4)


def test_minute_and_daily_history_use_their_intervals() -> None:
    minutes = answer(recovery(CN_MINUTE, DAY, DAY + timedelta(minutes=2)), state())
    assert minutes[1] == Recover(CN_MINUTE, tuple(DAY + timedelta(minutes=m) for m in range(3)))
    days = answer(recovery(CN_DAY, DAY - timedelta(days=2), DAY + 12 * HOUR), state())
    assert days[1] == Recover(CN_DAY, (DAY - timedelta(days=2), DAY - timedelta(days=1)))


def test_a_history_request_for_nothing_stored_ends_with_no_data() -> None:
    steps = answer(recovery(CN_HOUR, DAY + 20 * HOUR, DAY + 22 * HOUR), state())
    assert replies(steps)[-1] == ("9012", {"ExeRtn": "100"})


def test_a_history_request_without_a_time_range_is_a_condition_error() -> None:
    frame = encode(
        qn="20261102100000123",
        st=GAS.st,
        cn=CN_HOUR,
        pw=GAS.password,
        mn=GAS.mn,
        flag=5,
        cp={"BeginTime": format_time(DAY)},
    )
    assert replies(answer(decode(frame), state())) == [
        ("9011", {"QnRtn": "1"}),
        ("9012", {"ExeRtn": "3"}),
    ]


def test_a_request_with_a_wrong_password_is_refused_with_qnrtn_3() -> None:
    steps = answer(recovery(CN_HOUR, DAY, DAY, pw="000000"), state())
    assert replies(steps) == [("9011", {"QnRtn": "3"})]
    assert len(steps) == 1


def test_an_unsimulated_request_is_refused() -> None:
    frame = encode(
        qn="20261102100000123", st=GAS.st, cn="3011", pw=GAS.password, mn=GAS.mn, flag=5, cp={}
    )
    assert replies(answer(decode(frame), state())) == [("9011", {"QnRtn": "2"})]


def test_set_time_is_answered_and_sets_the_clock() -> None:
    target = DAY + timedelta(days=3, minutes=7)
    request = decode(
        set_time_request(
            st=GAS.st, pw=GAS.password, mn=GAS.mn, qn="20261102100000123", system_time=target
        )
    )
    steps = answer(request, state())
    assert steps[1] == SetClock(target)
    assert replies(steps) == [("9011", {"QnRtn": "1"}), ("9012", {"ExeRtn": "1"})]


def test_get_time_uploads_the_device_time() -> None:
    frame = encode(
        qn="20261102100000123", st=GAS.st, cn="1011", pw=GAS.password, mn=GAS.mn, flag=5, cp={}
    )
    steps = answer(decode(frame), state(DAY + timedelta(hours=10, seconds=42)))
    assert replies(steps)[1] == ("1011", {"SystemTime": "20261102100042"})
    assert isinstance(steps[1], Reply)
    assert decode(steps[1].frame).qn == "20261102100000123"


def test_real_time_data_can_be_stopped_and_started() -> None:
    def request(cn: str) -> Packet:
        return decode(
            encode(
                qn="20261102100000123",
                st=GAS.st,
                cn=cn,
                pw=GAS.password,
                mn=GAS.mn,
                flag=flag_for(Edition.V2017, needs_answer=True),
                cp={},
            )
        )

    stop = answer(request("2012"), state())
    assert stop[0] == SetRealtime(False)
    assert replies(stop) == [("9013", {})]
    start = answer(request("2011"), state())
    assert SetRealtime(True) in start
    assert replies(start) == [("9011", {"QnRtn": "1"}), ("9012", {"ExeRtn": "1"})]
