"""Many simulated devices in one process, sharing one simulated clock."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence

from ecoradar.simulate.devices import FaultScript, VirtualDevice
from ecoradar.simulate.devices_config import DeviceOptions, DeviceStats
from ecoradar.simulate.devices_schedule import SimClock
from ecoradar.simulate.traffic import PointProfile

log = logging.getLogger(__name__)


class Fleet:
    """Many virtual devices sharing one simulated clock."""

    def __init__(
        self,
        profiles: Sequence[PointProfile],
        options: DeviceOptions,
        clock: SimClock,
        *,
        script: FaultScript | None = None,
        ramp_up: float | None = None,
    ) -> None:
        self.clock = clock
        self.devices = [VirtualDevice(p, options, clock, script=script) for p in profiles]
        self.ramp_up = min(10.0, len(self.devices) / 500) if ramp_up is None else ramp_up
        """Real seconds over which the first connections are spread."""

    async def run(self, duration: float | None = None) -> DeviceStats:
        """Run every device for ``duration`` real seconds (``None``: until cancelled, or until
        every device gave up); returns the totals."""
        rng = random.Random(0)
        tasks = [
            asyncio.create_task(self._start(device, rng.uniform(0, self.ramp_up)))
            for device in self.devices
        ]
        try:
            if tasks:
                await asyncio.wait(tasks, timeout=duration)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        return self.totals()

    async def _start(self, device: VirtualDevice, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            await device.run()
        except Exception as exc:
            device.given_up = f"failed: {exc!r}"
            log.exception("%s: the simulated device failed", device.mn)

    def totals(self) -> DeviceStats:
        total = DeviceStats()
        for device in self.devices:
            total.add(device.stats)
        return total

    @property
    def given_up(self) -> list[VirtualDevice]:
        return [d for d in self.devices if d.given_up is not None]
