"""Answers and platform requests of HJ 212-2017 (§6.5 flows, §6.6 codes, Appendix C examples).

Answers (ST=91, same QN, PW and MN as the packet answered; Flag = the edition's version bits
with A and D clear, or no Flag when the packet had none):

* 9011 request answer with ``QnRtn`` (table 7), 9012 execution result with ``ExeRtn`` (table 6);
* 9013 notify answer (e.g. to 1013, the time-calibration request), 9014 data answer (``CP=&&&&``).

Requests of the platform: 1012 set the device time (``SystemTime``, table C.3) and the history
requests 2031/2041/2051/2061 with ``BeginTime``/``EndTime`` (tables C.49, C.50).
"""

from __future__ import annotations

import re
from datetime import datetime

from ecoradar.hj212.codec import encode
from ecoradar.hj212.codes import Command, ExeRtn, QnRtn, SystemCode
from ecoradar.hj212.crc import crc16
from ecoradar.hj212.errors import HJ212Error, Reason
from ecoradar.hj212.packet import EDITION_VERSION, Edition, Packet, flag_for, format_time

_FIELD_QN_RTN = {
    "QN": QnRtn.QN_ERROR,
    "ST": QnRtn.ST_ERROR,
    "CN": QnRtn.CN_ERROR,
    "PW": QnRtn.PW_ERROR,
    "MN": QnRtn.MN_ERROR,
    "Flag": QnRtn.FLAG_ERROR,
}
_HISTORY = frozenset(
    {Command.DAILY_DATA, Command.DAILY_RUN_TIME, Command.MINUTE_DATA, Command.HOURLY_DATA}
)


def qn_rtn_for(error: HJ212Error) -> QnRtn:
    """The QnRtn (table 7) telling a sender why its request was refused."""
    if error.reason == Reason.BAD_CRC:
        return QnRtn.CRC_ERROR
    return _FIELD_QN_RTN.get(error.field or "", QnRtn.UNKNOWN_ERROR)


_PLAIN = re.compile(r"[0-9A-Za-z._:-]*")
"""Header values that need none of the encoder's checks (no framing character, no blank)."""


def _answer(packet: Packet, cn: str, cp: dict[str, str]) -> bytes:
    flag = None if packet.flag is None else EDITION_VERSION[packet.edition] << 2
    qn, pw, mn = packet.qn, packet.pw, packet.mn
    plain = _PLAIN.fullmatch
    if not cp and plain(pw) and plain(mn) and (qn is None or plain(qn)):
        # The gateway's most frequent frame (the 9014 of every upload): made directly, as
        # ``encode`` would make it (``test_hj212_replies`` compares the two), at about half
        # the cost.
        head = "" if qn is None else f"QN={qn};"
        tail = "" if flag is None else f";Flag={flag}"
        st = SystemCode.SYSTEM_INTERACTION
        segment = f"{head}ST={st};CN={cn};PW={pw};MN={mn}{tail};CP=&&&&".encode("ascii")
        return b"##%04d%s%04X\r\n" % (len(segment), segment, crc16(segment))
    return encode(
        qn=packet.qn,
        st=SystemCode.SYSTEM_INTERACTION,
        cn=cn,
        pw=packet.pw,
        mn=packet.mn,
        flag=flag,
        cp=cp,
        encoding=packet.encoding,
    )


def request_answer(request: Packet, qn_rtn: int = QnRtn.READY) -> bytes:
    """9011: whether the request will be executed (QnRtn, §6.6.3 table 7)."""
    return _answer(request, Command.REQUEST_ANSWER, {"QnRtn": str(int(qn_rtn))})


def execution_result(request: Packet, exe_rtn: int = ExeRtn.SUCCESS) -> bytes:
    """9012: how the request ended (ExeRtn, §6.6.2 table 6)."""
    return _answer(request, Command.EXECUTION_RESULT, {"ExeRtn": str(int(exe_rtn))})


def notify_answer(notice: Packet) -> bytes:
    """9013: a notice (e.g. 1013 time-calibration request) was received (table C.4)."""
    return _answer(notice, Command.NOTIFY_ANSWER, {})


def data_answer(upload: Packet) -> bytes:
    """9014: an upload was received, ST=91 and empty CP (tables C.39 to C.50)."""
    return _answer(upload, Command.DATA_ANSWER, {})


def set_time_request(
    *,
    st: str,
    pw: str,
    mn: str,
    qn: str,
    system_time: datetime,
    pol_id: str | None = None,
    edition: Edition = Edition.V2017,
    needs_answer: bool = True,
) -> bytes:
    """1012: set the device time to ``system_time`` (aware; sent in CST), table C.3.

    With ``pol_id`` the time of that factor's analyser is set, else the data logger's.
    """
    cp = {"PolId": pol_id} if pol_id is not None else {}
    cp["SystemTime"] = format_time(system_time)
    return encode(
        qn=qn,
        st=st,
        cn=Command.SET_TIME,
        pw=pw,
        mn=mn,
        flag=flag_for(edition, needs_answer=needs_answer),
        cp=cp,
    )


def history_request(
    *,
    cn: str,
    st: str,
    pw: str,
    mn: str,
    qn: str,
    begin: datetime,
    end: datetime,
    edition: Edition = Edition.V2017,
    needs_answer: bool = True,
) -> bytes:
    """2031/2041/2051/2061: ask the device to upload again the data of ``begin``..``end``.

    The device answers 9011, uploads, then 9012 (tables C.49, C.50).
    """
    if cn not in _HISTORY:
        raise HJ212Error(Reason.BAD_FIELD, f"CN={cn} is not a history command", "CN")
    if begin > end:
        raise HJ212Error(Reason.BAD_FIELD, "BeginTime is after EndTime", "BeginTime")
    return encode(
        qn=qn,
        st=st,
        cn=cn,
        pw=pw,
        mn=mn,
        flag=flag_for(edition, needs_answer=needs_answer),
        cp={"BeginTime": format_time(begin), "EndTime": format_time(end)},
    )
