"""Steps of the scheduler's pass that run at most once per clock hour in a process (the pass
itself comes every few seconds): each step keeps its own :class:`Hourly`."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from weakref import ref


class _Clocked(Protocol):
    @property
    def clock(self) -> _Clock: ...


class _Clock(Protocol):
    def now(self) -> datetime: ...


class Hourly:
    """``due(box)`` is true once per clock hour for each container (its id, checked by a weak
    reference: a new container that reuses a closed one's id is a new container)."""

    def __init__(self) -> None:
        self._last: dict[int, tuple[ref[object], datetime]] = {}

    def due(self, box: _Clocked) -> bool:
        hour = box.clock.now().replace(minute=0, second=0, microsecond=0)
        last = self._last.get(id(box))
        if last is not None and last[0]() is box and last[1] == hour:
            return False
        self._last[id(box)] = (ref(box), hour)
        return True
