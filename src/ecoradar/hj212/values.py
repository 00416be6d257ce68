"""Item values as numbers: the rows a store makes from a packet's items, compiled when built.

:func:`item_rows` turns ``{code: {suffix: "text"}}`` (``Packet.items``) into one tuple per code
``(*before, code, *between, v0, ..., v{width-1}, *after)``: each suffix named in ``slots`` puts
``float(text)`` in its slot, except ``flag_slot``, which keeps the text's first 4 characters;
unreadable, infinite and NaN values are left out and counted; codes without any value give no
row. It is the compiled ``_codec.item_rows`` when the extension is built (and
``ECORADAR_PURE_CODEC`` is not set), else :func:`item_rows_pure`; both return the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from ecoradar.hj212 import native

Row = tuple[object, ...]


class ItemRows(Protocol):
    """``item_rows(items, slots, flag_slot, width, before, between, after) -> (rows, bad)``."""

    def __call__(
        self,
        items: Mapping[str, Mapping[str, str]],
        slots: Mapping[str, int],
        flag_slot: int,
        width: int,
        before: tuple[object, ...],
        between: tuple[object, ...],
        after: tuple[object, ...],
        /,
    ) -> tuple[list[Row], int]: ...


def item_rows_pure(
    items: Mapping[str, Mapping[str, str]],
    slots: Mapping[str, int],
    flag_slot: int,
    width: int,
    before: tuple[object, ...],
    between: tuple[object, ...],
    after: tuple[object, ...],
    /,
) -> tuple[list[Row], int]:
    """The rows of ``items`` and how many values were unreadable (the reference)."""
    rows: list[Row] = []
    bad = 0
    slot_of = slots.get
    empty: list[object] = [None] * width
    for code, suffixes in items.items():
        values = empty.copy()
        has_value = False
        for suffix, text in suffixes.items():
            slot = slot_of(suffix)
            if slot is None:
                continue
            if slot == flag_slot:
                values[slot] = text[:4]
                has_value = True
                continue
            try:
                value = float(text)
            except ValueError:
                bad += 1
                continue
            if value - value != 0.0:  # inf or nan: not a reading
                bad += 1
                continue
            values[slot] = value
            has_value = True
        if has_value:
            rows.append((*before, code, *between, *values, *after))
    return rows, bad


item_rows_compiled: ItemRows | None = native.load_item_rows(item_rows_pure)
"""The compiled :func:`item_rows`, ``None`` when the extension is not built."""
item_rows: ItemRows = (
    item_rows_compiled
    if item_rows_compiled is not None and not native.forced_pure()
    else item_rows_pure
)
"""Compiled when built and not forced off, else :func:`item_rows_pure`."""
