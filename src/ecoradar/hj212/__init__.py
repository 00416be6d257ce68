"""HJ 212 codec: the data transmission standard of online pollutant monitoring (pure, no I/O).

Editions HJ/T 212-2005, HJ 212-2017 and HJ 212-2025 (the last told apart by Flag version bits
only; its text is not at hand). Modules: :mod:`~ecoradar.hj212.codec` (decode, encode),
:mod:`~ecoradar.hj212.packet` (the Packet, options, times), :mod:`~ecoradar.hj212.segment` (CP
items), :mod:`~ecoradar.hj212.crc` (Appendix A), :mod:`~ecoradar.hj212.frame` (TCP stream
splitter), :mod:`~ecoradar.hj212.reassembly` (split packets), :mod:`~ecoradar.hj212.replies`
(answers and platform requests), :mod:`~ecoradar.hj212.codes` (Appendix B and code tables),
:mod:`~ecoradar.hj212.errors` (refusal reasons).
"""

from ecoradar.hj212.codec import decode, encode, encode_packet
from ecoradar.hj212.codes import (
    CODE_2005_TO_2017,
    FACTORS,
    Command,
    DataFlag,
    EquipmentState,
    ExeRtn,
    Factor,
    QnRtn,
    Suffix,
    SystemCode,
    factor,
    is_known_factor,
    to_2017_code,
)
from ecoradar.hj212.crc import crc16, crc16_modbus, crc16_modbus_as_sent
from ecoradar.hj212.errors import REASONS, HJ212Error, Reason
from ecoradar.hj212.frame import FrameDecoder
from ecoradar.hj212.packet import (
    CST,
    LENIENT,
    STRICT,
    DecodeOptions,
    Edition,
    Packet,
    format_time,
    make_qn,
    parse_time,
)
from ecoradar.hj212.reassembly import Reassembler
from ecoradar.hj212.replies import (
    data_answer,
    execution_result,
    history_request,
    notify_answer,
    qn_rtn_for,
    request_answer,
    set_time_request,
)

__all__ = [
    "CODE_2005_TO_2017",
    "CST",
    "FACTORS",
    "LENIENT",
    "REASONS",
    "STRICT",
    "Command",
    "DataFlag",
    "DecodeOptions",
    "Edition",
    "EquipmentState",
    "ExeRtn",
    "Factor",
    "FrameDecoder",
    "HJ212Error",
    "Packet",
    "QnRtn",
    "Reason",
    "Reassembler",
    "Suffix",
    "SystemCode",
    "crc16",
    "crc16_modbus",
    "crc16_modbus_as_sent",
    "data_answer",
    "decode",
    "encode",
    "encode_packet",
    "execution_result",
    "factor",
    "format_time",
    "history_request",
    "is_known_factor",
    "make_qn",
    "notify_answer",
    "parse_time",
    "qn_rtn_for",
    "request_answer",
    "set_time_request",
    "to_2017_code",
]
