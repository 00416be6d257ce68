"""Join split messages: Flag bit D with PNUM (parts in all) and PNO (this part), §6.3.2 table 3.

Pure state kept in a dict, bounded in size; parts may arrive in any order and more than once.
Parts are grouped by MN and QN. HJ 212-2017's own example (Appendix C, tables C.49 and C.50)
gives every part its own QN and the same DataTime: for such devices group by DataTime
(``key_by="datatime"``).
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from ecoradar.hj212.errors import HJ212Error, Reason
from ecoradar.hj212.packet import FLAG_D, Packet

KeyBy = Literal["qn", "datatime"]


@dataclasses.dataclass
class _Pending:
    pnum: int
    parts: dict[int, Packet]


class Reassembler:
    """Collect the parts of split messages; :meth:`add` returns a message once it is whole.

    ``max_pending`` bounds the messages waiting for parts (the oldest is dropped first and
    counted in ``evicted``); ``max_parts`` bounds PNUM. Repeated parts are ignored and counted
    in ``duplicates``.
    """

    def __init__(
        self, *, max_pending: int = 1024, max_parts: int = 1000, key_by: KeyBy = "qn"
    ) -> None:
        if max_pending < 1 or max_parts < 1:
            raise ValueError("max_pending and max_parts must be at least 1")
        if key_by not in ("qn", "datatime"):
            raise ValueError(f"key_by {key_by!r} is not 'qn' or 'datatime'")
        self.max_pending = max_pending
        self.max_parts = max_parts
        self.key_by: KeyBy = key_by
        self.evicted = 0
        self.duplicates = 0
        self._pending: dict[tuple[str, ...], _Pending] = {}

    def __len__(self) -> int:
        """Messages waiting for parts."""
        return len(self._pending)

    def add(self, packet: Packet) -> Packet | None:
        """Take a decoded packet; return the whole message when complete, else ``None``.

        A packet that is not split is returned as it is. The joined message has the QN and
        header of part 1, the items and CP keys of all parts, ``pnum``/``pno`` ``None``, Flag
        bit D cleared and ``length`` the sum of the parts' lengths.
        """
        if packet.pnum is None or packet.pno is None:
            return packet
        if packet.pnum > self.max_parts:
            raise HJ212Error(
                Reason.BAD_FIELD, f"PNUM={packet.pnum} exceeds {self.max_parts} parts", "PNUM"
            )
        key = self._key(packet)
        pending = self._pending.get(key)
        if pending is None:
            if len(self._pending) >= self.max_pending:
                del self._pending[next(iter(self._pending))]
                self.evicted += 1
            pending = self._pending[key] = _Pending(packet.pnum, {})
        elif pending.pnum != packet.pnum:
            raise HJ212Error(
                Reason.BAD_FIELD,
                f"PNUM={packet.pnum} of part {packet.pno} differs from PNUM={pending.pnum} "
                f"of the earlier parts of MN={packet.mn} QN={packet.qn}",
                "PNUM",
            )
        if packet.pno in pending.parts:
            self.duplicates += 1
            return None
        pending.parts[packet.pno] = packet
        if len(pending.parts) < pending.pnum:
            return None
        del self._pending[key]
        return join_parts([pending.parts[n] for n in range(1, pending.pnum + 1)])

    def discard(self, packet: Packet) -> bool:
        """Forget the message ``packet`` belongs to (e.g. after a timeout); whether it was held."""
        return self._pending.pop(self._key(packet), None) is not None

    def clear(self) -> None:
        self._pending.clear()

    def _key(self, packet: Packet) -> tuple[str, ...]:
        data_time = packet.cp.get("DataTime", "")
        if self.key_by == "qn" and packet.qn is not None:
            return (packet.mn, packet.qn)
        return (
            packet.mn,
            packet.cn,
            str(packet.pnum),
            data_time,
            "" if data_time else packet.qn or "",
        )


def join_parts(parts: list[Packet]) -> Packet:
    """One message from its parts in PNO order (items and CP keys merged, later parts win)."""
    first = parts[0]
    items: dict[str, dict[str, str]] = {}
    cp: dict[str, str] = {}
    original: dict[str, str] = {}
    for part in parts:
        for code, values in part.items.items():
            items.setdefault(code, {}).update(values)
        cp.update(part.cp)
        if part.original_codes:
            original.update(part.original_codes)
    return dataclasses.replace(
        first,
        items=items,
        cp=cp,
        original_codes=original or None,
        flag=None if first.flag is None else first.flag & ~FLAG_D,
        pnum=None,
        pno=None,
        length=sum(p.length for p in parts),
    )
