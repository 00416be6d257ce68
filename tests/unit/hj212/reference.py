"""Independent helpers for the HJ 212 tests: the CRCs by the letter, and frames built by hand."""

from __future__ import annotations


def appendix_a(data: bytes) -> int:
    """The CRC exactly as printed in HJ 212-2017 Appendix A (CRC16_Checkout)."""
    crc_reg = 0xFFFF
    for byte in data:
        crc_reg = (crc_reg >> 8) ^ byte
        for _ in range(8):
            check = crc_reg & 0x0001
            crc_reg >>= 1
            if check == 0x0001:
                crc_reg ^= 0xA001
    return crc_reg


def modbus_bitwise(data: bytes) -> int:
    """CRC-16/MODBUS, bit by bit."""
    reg = 0xFFFF
    for byte in data:
        reg ^= byte
        for _ in range(8):
            reg = (reg >> 1) ^ 0xA001 if reg & 1 else reg >> 1
    return reg


def frame(
    segment: str | bytes,
    *,
    encoding: str = "utf-8",
    length: int | None = None,
    crc: str | None = None,
    end: bytes = b"\r\n",
) -> bytes:
    """A frame around ``segment`` with its true length and CRC unless told otherwise."""
    data = segment.encode(encoding) if isinstance(segment, str) else segment
    size = len(data) if length is None else length
    check = f"{appendix_a(data):04X}" if crc is None else crc
    return b"##%04d" % size + data + check.encode() + end


HEADER_2017 = "QN=20160801085857223;ST=32;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=5"
