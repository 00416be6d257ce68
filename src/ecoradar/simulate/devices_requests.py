"""What a simulated data logger does with a request of the platform (pure).

HJ 212-2017 §6.5.1: a request gets a request answer (9011, QnRtn) and, when it was ready, an
execution result (9012, ExeRtn) after the work. :func:`answer` returns the steps in order; the
device's connection carries them out.

* history (2051 minute, 2061 hourly, 2031 daily data with BeginTime/EndTime, tables C.20 to
  C.22): 9011, the stored intervals uploaded again, 9012 (ExeRtn 100 "no data" when none is
  stored, 3 "condition error" without a valid time range);
* set time (1012, table C.3): 9011, the clock set to SystemTime, 9012;
* get time (1011, table C.2): 9011, a 1011 packet with SystemTime, 9012;
* start real-time data (2011, table C.10): 9011, 9012; stop (2012, table C.11): 9013;
* a wrong MN or password: 9011 with QnRtn 4 or 3; anything else: 9011 with QnRtn 2, refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ecoradar.hj212.codes import Command, ExeRtn, QnRtn
from ecoradar.hj212.encoder import encode
from ecoradar.hj212.errors import HJ212Error
from ecoradar.hj212.packet import FLAG_A, Packet, format_time, parse_time
from ecoradar.hj212.replies import execution_result, notify_answer, request_answer
from ecoradar.simulate.devices_schedule import history_times
from ecoradar.simulate.traffic import CN_DAY, CN_HOUR, CN_MINUTE, PointProfile

HISTORY_COMMANDS = frozenset({CN_MINUTE, CN_HOUR, CN_DAY})


@dataclass(frozen=True)
class Reply:
    """Send this frame (no answer is awaited)."""

    frame: bytes


@dataclass(frozen=True)
class Recover:
    """Upload again the intervals of kind ``cn`` starting at ``times``, each awaiting its answer
    like any upload."""

    cn: str
    times: tuple[datetime, ...]


@dataclass(frozen=True)
class SetClock:
    """Set the device clock to ``when`` (at the moment the request is answered)."""

    when: datetime


@dataclass(frozen=True)
class SetRealtime:
    on: bool


Step = Reply | Recover | SetClock | SetRealtime


@dataclass(frozen=True)
class DeviceState:
    """What the answer depends on: who the device is and what it has stored."""

    profile: PointProfile
    now: datetime
    """The device clock."""
    earliest: datetime
    """The oldest stored interval may start here."""
    minute_step: timedelta
    limit: int
    """Most intervals served for one history request."""


def answer(request: Packet, device: DeviceState) -> list[Step]:
    """The steps answering ``request``, in order."""
    profile = device.profile
    if request.mn != profile.mn:
        return [Reply(request_answer(request, QnRtn.MN_ERROR))]
    if request.pw != profile.password:
        return [Reply(request_answer(request, QnRtn.PW_ERROR))]
    cn = request.cn
    if cn in HISTORY_COMMANDS:
        return _history(request, device)
    if cn == Command.SET_TIME:
        try:
            when = parse_time(request.cp["SystemTime"], "SystemTime")
        except (KeyError, HJ212Error):
            return _failed(request)
        return [Reply(request_answer(request)), SetClock(when), Reply(execution_result(request))]
    if cn == Command.GET_TIME:
        return [
            Reply(request_answer(request)),
            Reply(time_upload(request, device)),
            Reply(execution_result(request)),
        ]
    if cn == Command.REALTIME_DATA:
        return [Reply(request_answer(request)), SetRealtime(True), Reply(execution_result(request))]
    if cn == Command.STOP_REALTIME_DATA:
        return [SetRealtime(False), Reply(notify_answer(request))]
    return [Reply(request_answer(request, QnRtn.REFUSED))]


def _failed(request: Packet) -> list[Step]:
    return [
        Reply(request_answer(request)),
        Reply(execution_result(request, ExeRtn.CONDITION_ERROR)),
    ]


def _history(request: Packet, device: DeviceState) -> list[Step]:
    try:
        begin = parse_time(request.cp["BeginTime"], "BeginTime")
        end = parse_time(request.cp["EndTime"], "EndTime")
    except (KeyError, HJ212Error):
        return _failed(request)
    step = {CN_MINUTE: device.minute_step, CN_HOUR: timedelta(hours=1)}.get(
        request.cn, timedelta(days=1)
    )
    times = history_times(
        begin, end, step=step, now=device.now, earliest=device.earliest, limit=device.limit
    )
    result = ExeRtn.SUCCESS if times else ExeRtn.NO_DATA
    return [
        Reply(request_answer(request)),
        Recover(request.cn, tuple(times)),
        Reply(execution_result(request, result)),
    ]


def time_upload(request: Packet, device: DeviceState) -> bytes:
    """The 1011 packet of table C.2: the device time, with the request's QN (and PolId)."""
    cp = {"PolId": request.cp["PolId"]} if "PolId" in request.cp else {}
    cp["SystemTime"] = format_time(device.now)
    return encode(
        qn=request.qn,
        st=device.profile.st,
        cn=Command.GET_TIME,
        pw=device.profile.password,
        mn=device.profile.mn,
        flag=None if request.flag is None else request.flag & ~FLAG_A,
        cp=cp,
    )
