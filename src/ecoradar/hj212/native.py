"""The compiled HJ 212 decoder (``_codec``, built from ``csrc/`` by ``pip install -e .``).

:func:`load` returns the C ``decode`` when the extension imports, configured with the Python
objects it builds packets from; it gives the same packet, or raises the same refusal (reason,
detail, field), as :func:`ecoradar.hj212.codec.decode_pure`, the reference, to which it hands
every frame it refuses or does not handle itself. When the extension is missing the pure decoder
is used and one log line says so; ``ECORADAR_PURE_CODEC=1`` forces the pure decoder.
"""

from __future__ import annotations

import codecs
import functools
import logging
import os
from collections.abc import Callable
from types import ModuleType
from typing import Any, Protocol

from ecoradar.hj212.codes import code_map_for
from ecoradar.hj212.packet import _PLUS8, LENIENT, DecodeOptions, Edition, Packet
from ecoradar.hj212.segment import cp_tokens

log = logging.getLogger(__name__)


class Decoder(Protocol):
    """``decode(frame, options=LENIENT) -> Packet``, pure or compiled."""

    def __call__(self, frame: bytes | str, options: DecodeOptions = ...) -> Packet: ...


FORCE_PURE = "ECORADAR_PURE_CODEC"
"""Environment variable: ``1`` makes ``decode`` the pure-Python decoder."""

_ASCII_COMPATIBLE = frozenset({"utf-8", "gbk", "gb18030", "gb2312", "ascii", "iso8859-1"})


def ascii_compatible(encoding: str) -> bool:
    """Whether ASCII bytes decode to the same characters in ``encoding`` (a shortcut in C)."""
    try:
        return codecs.lookup(encoding).name in _ASCII_COMPATIBLE
    except LookupError:
        return False


@functools.cache
def extension() -> ModuleType | None:
    """The ``_codec`` extension module, or ``None`` (said once in the log) without it."""
    try:
        from ecoradar.hj212 import _codec
    except ImportError as exc:
        log.warning(
            "HJ 212 codec: the compiled extension cannot be imported (%s); decoding with the "
            "pure-Python codec (run `pip install -e .` to build it)",
            exc,
        )
        return None
    return _codec


def load(decode_pure: Decoder) -> Decoder | None:
    """The compiled decoder configured to fall back on ``decode_pure``; ``None`` without it."""
    module = extension()
    if module is None:
        return None
    module.configure(
        decode_pure=decode_pure,
        packet_type=Packet,
        editions=(Edition.V2005, Edition.V2017, Edition.V2025),
        tz=_PLUS8,
        code_map_for=code_map_for,
        cp_tokens=cp_tokens,
        ascii_compatible=ascii_compatible,
        lenient=LENIENT,
    )
    decode: Decoder = module.decode
    return decode


def load_item_rows(pure: Callable[..., Any]) -> Any:
    """The compiled ``values.item_rows``, handing odd arguments to ``pure``; ``None`` without it."""
    module = extension()
    if module is None:
        return None
    module.configure_rows(pure)
    return module.item_rows


def forced_pure() -> bool:
    """``ECORADAR_PURE_CODEC`` is set to something else than empty or ``0``."""
    return os.environ.get(FORCE_PURE, "") not in ("", "0")
