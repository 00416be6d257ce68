"""CRC of HJ 212 frames (HJ 212-2017 Appendix A) and the CRC-16/MODBUS some devices send.

Appendix A: ``reg = 0xFFFF``; for each byte ``b``: ``reg = (reg >> 8) ^ b``, then 8 times shift
right and XOR ``0xA001`` when the bit shifted out is 1. This is *not* CRC-16/MODBUS (which XORs
the byte into the low byte of the whole register).

After ``reg = (reg >> 8) ^ b`` the register fits in 8 bits, so the 8 shift steps are a lookup in
a 256-entry table ``T`` and the state carried from byte to byte is only ``H(y) = T[y] >> 8``.
``H`` is linear over GF(2) and ``H**8`` is the identity, hence the last ``y`` is::

    y_n = XOR over r in 0..7 of H**r(S_r)  ^  H**((n - 1) % 8)(0xFF)

where ``S_r`` is the XOR of the bytes whose distance from the end is ``r`` modulo 8. The ``S_r``
are the 8 bytes of the XOR of all 8-byte words of the data (aligned on its end), which CPython
computes on one big integer by halving: no per-byte Python loop. ``crc = T[y_n]``.
"""

from __future__ import annotations

_POLY = 0xA001


def _byte_table() -> list[int]:
    table = []
    for value in range(256):
        reg = value
        for _ in range(8):
            reg = (reg >> 1) ^ _POLY if reg & 1 else reg >> 1
        table.append(reg)
    return table


_T: list[int] = _byte_table()
_H: list[int] = [t >> 8 for t in _T]


def _powers() -> list[list[int]]:
    powers = []
    current = list(range(256))
    for _ in range(8):
        powers.append(current)
        current = [_H[c] for c in current]
    if current != list(range(256)):  # pragma: no cover - a property of the polynomial
        raise AssertionError("H**8 is not the identity")
    return powers


_H0, _H1, _H2, _H3, _H4, _H5, _H6, _H7 = _powers()
_INIT: list[int] = [p[0xFF] for p in (_H0, _H1, _H2, _H3, _H4, _H5, _H6, _H7)]
_MASKS: dict[int, int] = {}


def crc16(data: bytes) -> int:
    """The HJ 212 CRC (Appendix A) of ``data``, the data-segment bytes; ``0xFFFF`` when empty."""
    n = len(data)
    if not n:
        return 0xFFFF
    v = int.from_bytes(data, "big")
    words = (n + 7) >> 3
    masks = _MASKS
    while words > 1:
        low = (words + 1) >> 1
        mask = masks.get(low)
        if mask is None:
            mask = masks[low] = (1 << (64 * low)) - 1
        v = (v >> (64 * low)) ^ (v & mask)
        words = low
    y = (
        _H0[v & 255]
        ^ _H1[(v >> 8) & 255]
        ^ _H2[(v >> 16) & 255]
        ^ _H3[(v >> 24) & 255]
        ^ _H4[(v >> 32) & 255]
        ^ _H5[(v >> 40) & 255]
        ^ _H6[(v >> 48) & 255]
        ^ _H7[(v >> 56) & 255]
        ^ _INIT[(n - 1) & 7]
    )
    return _T[y]


def crc16_modbus(data: bytes) -> int:
    """CRC-16/MODBUS of ``data`` (init 0xFFFF, reflected polynomial 0xA001), as a number."""
    table = _T
    reg = 0xFFFF
    for b in data:
        reg = (reg >> 8) ^ table[(reg ^ b) & 0xFF]
    return reg


def crc16_modbus_as_sent(data: bytes) -> int:
    """CRC-16/MODBUS of ``data`` as the devices of ``rx_*.log`` print it: low byte first."""
    reg = crc16_modbus(data)
    return ((reg & 0xFF) << 8) | (reg >> 8)


def format_crc(value: int) -> str:
    """The 4 upper-case hex digits of a CRC, as the standard prints it (Appendix A example)."""
    return f"{value:04X}"
