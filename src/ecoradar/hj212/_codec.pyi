"""Type stub of the compiled HJ 212 decoder (built from ``csrc/``); see ``native.py``."""

from collections.abc import Callable
from datetime import tzinfo

from ecoradar.hj212.packet import DecodeOptions, Edition, Packet

def decode(frame: bytes | str, options: DecodeOptions = ...) -> Packet: ...
def configure(
    *,
    decode_pure: Callable[..., Packet],
    packet_type: type[Packet],
    editions: tuple[Edition, Edition, Edition],
    tz: tzinfo,
    code_map_for: Callable[[str | None], dict[str, str]],
    cp_tokens: Callable[[str, bool, bool], list[str]],
    ascii_compatible: Callable[[str], bool],
    lenient: DecodeOptions,
) -> None: ...
def item_rows(
    items: object,
    slots: object,
    flag_slot: int,
    width: int,
    before: tuple[object, ...],
    between: tuple[object, ...],
    after: tuple[object, ...],
    /,
) -> tuple[list[tuple[object, ...]], int]: ...
def configure_rows(pure: Callable[..., object], /) -> None: ...
def stats() -> tuple[int, int]: ...
def crc16(data: bytes) -> int: ...
def crc16_modbus(data: bytes) -> int: ...
