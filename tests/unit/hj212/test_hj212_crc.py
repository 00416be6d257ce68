"""CRC of HJ 212-2017 Appendix A, and the CRC-16/MODBUS some devices send instead."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ecoradar.hj212.crc import crc16, crc16_modbus, crc16_modbus_as_sent, format_crc
from tests.unit.hj212.reference import appendix_a, modbus_bitwise

STANDARD_SEGMENT = (
    b"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
    b"CP=&&RtdInterval=30&&"
)


def test_the_standard_example_has_crc_1c80() -> None:
    assert format_crc(crc16(STANDARD_SEGMENT)) == "1C80"


def test_the_crc_of_nothing_is_the_initial_register() -> None:
    assert crc16(b"") == 0xFFFF == appendix_a(b"")


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=3000))
def test_the_table_driven_crc_equals_the_appendix_a_algorithm(data: bytes) -> None:
    assert crc16(data) == appendix_a(data)


@given(st.binary(min_size=1, max_size=200), st.integers(0, 199), st.integers(1, 255))
def test_a_changed_byte_changes_the_crc_or_is_a_known_collision(
    data: bytes, where: int, flip: int
) -> None:
    changed = bytearray(data)
    changed[where % len(data)] ^= flip
    assert (crc16(bytes(changed)) == crc16(data)) == (
        appendix_a(bytes(changed)) == appendix_a(data)
    )


def test_modbus_crc_has_its_published_check_value() -> None:
    assert crc16_modbus(b"123456789") == 0x4B37


@given(st.binary(max_size=500))
def test_modbus_crc_equals_the_bitwise_definition(data: bytes) -> None:
    assert crc16_modbus(data) == modbus_bitwise(data)


def test_modbus_crc_as_sent_puts_the_low_byte_first() -> None:
    assert crc16_modbus_as_sent(b"123456789") == 0x374B


def test_crcs_are_printed_as_four_upper_case_hex_digits() -> None:
    assert format_crc(0x1DC0) == "1DC0"
    assert format_crc(0x0440) == "0440"
