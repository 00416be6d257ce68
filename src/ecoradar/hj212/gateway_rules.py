"""What the gateway answers to one judged frame (pure: frames in, frames out).

The rules of HJ 212-2017, with the sections they come from:

* An upload with Flag bit A (§6.3.2 table 3) gets the data answer 9014 (§6.6.5 table 9,
  tables C.39 to C.50); without bit A it gets nothing. Each part of a split upload is answered
  on its own (table C.50).
* A refused frame, an unknown MN and a wrong password get the request answer 9011 with the
  QnRtn of table 7 (§6.6.3): 3 PW wrong, 4 MN wrong, 9 CRC wrong, 5-8 for ST, Flag, QN, CN,
  100 otherwise - when the frame names an MN and a QN to address the answer to, whether or not
  it set bit A: a device with a wrong password or CRC must hear why it is not being heard.
* The time-calibration request 1013 is a notice: answered 9013 when bit A is set (table C.4),
  after which the platform sets the device time with 1012 (table C.3).
* The heartbeat 9015 of HJ 212-2025 is answered 9013 when bit A is set (unconfirmed: the 2025
  text is not at hand; taken from implementations that treat it as a notice).
* Answers of the device (9011 request answer, 9012 execution result, 9013, 9014) are the end
  of an exchange the platform started: archived, never answered.
"""

from __future__ import annotations

import re

from ecoradar.hj212.codec import encode
from ecoradar.hj212.codes import Command, QnRtn, SystemCode
from ecoradar.hj212.errors import REASONS, HJ212Error, Reason
from ecoradar.hj212.packet import EDITION_VERSION, Packet, edition_of_flag
from ecoradar.hj212.replies import data_answer, notify_answer, qn_rtn_for, request_answer
from ecoradar.monitoring.intake import Verdict

DEVICE_ANSWERS = frozenset(
    {
        Command.REQUEST_ANSWER,
        Command.EXECUTION_RESULT,
        Command.NOTIFY_ANSWER,
        Command.DATA_ANSWER,
    }
)
"""9011-9014 sent by a device: answers to the platform, archived and not answered."""
NOTICES = frozenset({Command.TIME_CALIBRATION_REQUEST, Command.HEARTBEAT})
"""Notices of a device, answered 9013 (table C.4; 9015 unconfirmed)."""
REFUSED = frozenset({"refused", "unknown_device", "auth_failed"})
"""Outcomes answered with a refusal (9011); every other outcome was accepted (stored, a message,
or archived with its values held back) and is answered as received."""

_HEADER_FIELD = re.compile(rb"(?:^|;)\s*(QN|ST|CN|PW|MN|Flag)\s*=([^;&\r\n]{0,64})")
_VERDICT_QN_RTN = {"unknown_device": QnRtn.MN_ERROR, "auth_failed": QnRtn.PW_ERROR}


def peek_header(frame: bytes) -> dict[str, str]:
    """The header fields a frame claims, read without trusting its length or CRC.

    Only the part before ``CP=`` is read, and only printable ASCII values are kept; used to
    address the answer to a frame that was refused.
    """
    end = frame.find(b"CP=")
    head = frame[6:end] if end >= 0 else frame[6:]
    fields: dict[str, str] = {}
    for match in _HEADER_FIELD.finditer(head):
        key = match.group(1).decode("ascii")
        value = match.group(2).strip()
        if key not in fields and value.isascii() and value.decode("ascii").isprintable():
            fields[key] = value.decode("ascii")
    return fields


def refusal_answer(frame: bytes, qn_rtn: int) -> bytes | None:
    """9011 with ``qn_rtn`` to the sender of a refused frame; ``None`` without MN and QN."""
    fields = peek_header(frame)
    mn, qn = fields.get("MN"), fields.get("QN")
    if not mn or not qn:
        return None
    flag: int | None = None
    flag_text = fields.get("Flag")
    if flag_text is not None:
        try:
            flag = EDITION_VERSION[edition_of_flag(int(flag_text))] << 2
        except (ValueError, HJ212Error):
            flag = EDITION_VERSION[edition_of_flag(4)] << 2  # answer in the 2017 edition
    try:
        return encode(
            qn=qn,
            st=SystemCode.SYSTEM_INTERACTION,
            cn=Command.REQUEST_ANSWER,
            pw=fields.get("PW", ""),
            mn=mn,
            flag=flag,
            cp={"QnRtn": str(int(qn_rtn))},
        )
    except HJ212Error:
        return None  # the fields it claims cannot even be written back


def refusal_code(verdict: Verdict, error: HJ212Error | None) -> int:
    """The QnRtn (table 7) for a verdict that is not a stored or accepted message."""
    code = _VERDICT_QN_RTN.get(verdict.outcome)
    if code is not None:
        return code
    if error is None:
        reason = verdict.reason or ""
        error = HJ212Error(reason if reason in REASONS else Reason.BAD_FRAME, verdict.detail or "")
    return qn_rtn_for(error)


def answers(packet: Packet) -> list[bytes]:
    """The answers to an accepted packet (authenticated device), in order."""
    cn = packet.cn
    if cn in DEVICE_ANSWERS:
        return []
    if not packet.needs_answer:
        return []
    if cn in NOTICES:
        return [notify_answer(packet)]
    return [data_answer(packet)]


def refusal(verdict: Verdict, frame: bytes, error: HJ212Error | None = None) -> list[bytes]:
    """The answer to a frame not accepted: unknown MN, wrong password or refused by the codec."""
    packet = verdict.packet
    code = refusal_code(verdict, error)
    if packet is not None and packet.qn:
        if packet.cn in DEVICE_ANSWERS:
            return []  # never answer an answer, even a refused one
        return [request_answer(packet, code)]
    if packet is not None:
        return []  # no QN: nothing to match an answer to
    fields = peek_header(frame)
    if fields.get("CN") in DEVICE_ANSWERS:
        return []
    answer = refusal_answer(frame, code)
    return [answer] if answer is not None else []
