"""``ecoradar worker``: consume batches from the bus, detect on them and write them.

Workers announce themselves in the membership bucket (a heartbeat every 2 s) and split the
partitions among the live ones (:func:`~ecoradar.bus.config.assign`); a worker that stops
heartbeating loses its partitions to the others 6 s later, and a new one takes its share at
once. For each partition it holds, a worker pulls from the partition's durable consumer, one
message at a time (the consumer allows no more in flight). The messages of all its partitions
that are ready together are written in one transaction — ``Intake.write`` (detection and the
store, the embedded path's own code) with the partitions' claims (:mod:`ecoradar.bus.claims`)
— and acknowledged after the commit. A redelivered message already written is acknowledged
without writing; a message that is not a batch is terminated (logged; it cannot come from a
gateway); a write that fails is negatively acknowledged and comes again after a pause.

Detection state lives here, per point; a worker that takes over a partition finds it written
by another and rebuilds the state of its points from the store. One worker, the holder of
partition 0, runs the offline sweep.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import logging
import os
import socket
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.errors import NoKeysError
from nats.js.kv import KeyValue
from sqlalchemy.exc import DataError, IntegrityError

from ecoradar.bootstrap import Container
from ecoradar.bus import codec
from ecoradar.bus.claims import AlreadyWritten, Claim, ClaimingContainer, Claims
from ecoradar.bus.config import WORKER_MAX_ITEMS, BusConfig, assign, partition_of
from ecoradar.bus.stream import connect, ensure_consumer, ensure_stream, members
from ecoradar.hj212.gateway_process import require_full_sync
from ecoradar.monitoring.intake import Device
from ecoradar.monitoring.pipeline import Intake
from ecoradar.monitoring.prepared import Received

log = logging.getLogger(__name__)
T = TypeVar("T")

FETCH_WAIT = 1.0
"""Seconds a pull waits for a message: a partition given up is let go within this time."""
MAX_ITEMS = WORKER_MAX_ITEMS
LINGER = 0.003
"""Seconds the writer waits for messages of its other partitions before it writes (their next
messages follow their acknowledgement by a round trip; writing them together saves commits)."""
RETRY_PAUSE = 1.0
"""Seconds before a message whose write failed is delivered again."""
SWEEP_EVERY = 60.0
REFRESH_EVERY = 300.0


@dataclass
class Delivery:
    partition: int
    msg: Msg
    done: asyncio.Future[None]
    items: list[Received] = field(default_factory=list)

    @property
    def seq(self) -> int:
        return int(self.msg.metadata.sequence.stream)


@dataclass
class WorkerStats:
    messages: int = 0
    packets: int = 0
    transactions: int = 0
    duplicates: int = 0
    """Messages delivered again after their batch was committed: acknowledged, not written."""
    bad_messages: int = 0
    failed_writes: int = 0
    refused_packets: int = 0
    """Packets the database refused even alone (logged with their frame)."""


class BusWorker:
    """Build it, ``await start()``, ``await run(stop)`` (or ``close()`` later)."""

    def __init__(
        self,
        container: Container,
        config: BusConfig,
        *,
        detect: bool = True,
        max_items: int = MAX_ITEMS,
        refresh_every: float | None = REFRESH_EVERY,
        sweep_every: float | None = SWEEP_EVERY,
        identity: str | None = None,
    ) -> None:
        require_full_sync(container.engine)  # acknowledged means committed, also on power loss
        self.box = ClaimingContainer.wrap(container)
        self.config = config
        self.intake = Intake(self.box, mode="live", detect=detect)
        self.identity = identity or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.max_items = max_items
        self.refresh_every, self.sweep_every = refresh_every, sweep_every
        self.stats = WorkerStats()
        self.partitions = config.partitions
        self.owned: set[int] = set()
        self._devices: dict[int, Device] = {}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bus-writer")
        self._ready: asyncio.Queue[Delivery] = asyncio.Queue()
        self._pulls: dict[int, asyncio.Task[None]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._kv: KeyValue | None = None
        self._claims: Claims | None = None

    # -- life cycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect, make what is missing (stream, consumers, rows), join the workers."""
        self._nc = await connect(self.config, f"ecoradar-worker {self.identity}")
        js = self._js = self._nc.jetstream()
        layout = await ensure_stream(js, self.config)
        self.partitions = layout.partitions
        claims = self._claims = Claims(
            stream=self.config.stream,
            epoch=layout.epoch,
            worker=self.identity,
            forget=self._forget,
            now=self.box.clock.now,
        )
        await self._in_writer(
            lambda: self.box.write(
                lambda s: claims.prepare(s, range(self.partitions)), what="bus partitions"
            )
        )
        self.box.claims = claims
        for partition in range(self.partitions):
            await ensure_consumer(js, self.config, partition)
        self._kv = await members(js, self.config)
        await self._rebalance()
        self._tasks = [
            asyncio.create_task(self._membership()),
            asyncio.create_task(self._writer()),
        ]
        if self.refresh_every:
            self._tasks.append(asyncio.create_task(self._every(self.refresh_every, self._reload)))
        if self.sweep_every:
            self._tasks.append(asyncio.create_task(self._every(self.sweep_every, self._sweep)))
        log.info(
            "worker %s on stream %s: partitions %s of %d",
            self.identity,
            self.config.stream,
            sorted(self.owned),
            self.partitions,
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set, then :meth:`close`."""
        try:
            await stop.wait()
        finally:
            await self.close()

    async def close(self) -> None:
        """Leave the group, finish the messages in hand, disconnect. Idempotent."""
        if self._nc is None:
            return
        for task in self._tasks[:1]:  # membership first: it would hand out partitions again
            task.cancel()
        self.owned = set()
        if self._kv is not None:
            try:
                await self._kv.delete(self.identity)  # the others take over at once
            except Exception as exc:  # noqa: BLE001 - the heartbeat expires anyway
                log.warning("worker %s could not leave the group: %s", self.identity, exc)
        pulls = list(self._pulls.values())
        if pulls:
            await asyncio.wait(pulls, timeout=FETCH_WAIT + self.config.ack_wait)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        nc, self._nc = self._nc, None
        if not nc.is_closed:
            await nc.close()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._executor.shutdown)
        log.info("worker %s stopped: %s", self.identity, self.stats)

    # -- membership --------------------------------------------------------------------------

    async def _membership(self) -> None:
        while True:
            await asyncio.sleep(self.config.heartbeat)
            try:
                await self._rebalance()
            except Exception as exc:  # noqa: BLE001 - the bus is away: keep what we hold
                log.warning("worker %s: membership not renewed: %s", self.identity, exc)
                with contextlib.suppress(Exception):  # the bucket may be gone with a server
                    assert self._js is not None
                    self._kv = await members(self._js, self.config)

    async def _rebalance(self) -> None:
        kv = self._kv
        assert kv is not None
        await kv.put(self.identity, b"")
        try:
            live = await kv.keys()
        except NoKeysError:
            live = []
        owned = assign(live, self.identity, self.partitions)
        if owned != self.owned:
            log.info("worker %s holds partitions %s", self.identity, sorted(owned))
        self.owned = owned
        for partition in owned:
            task = self._pulls.get(partition)
            if task is None or task.done():
                self._pulls[partition] = asyncio.create_task(self._pull(partition))

    def pulling(self) -> set[int]:
        """The partitions this worker still pulls from: those it holds, and for up to
        ``FETCH_WAIT`` those it has just let go (their last fetch is still waiting)."""
        return {p for p, task in self._pulls.items() if not task.done()}

    # -- consuming ---------------------------------------------------------------------------

    async def _pull(self, partition: int) -> None:
        """Hand the partition's messages to the writer, one at a time, while it is held."""
        js = self._js
        assert js is not None
        subscription = await js.pull_subscribe_bind(
            durable=self.config.consumer(partition), stream=self.config.stream
        )
        loop = asyncio.get_running_loop()
        try:
            while partition in self.owned:  # checked between fetches: a fetched one is done
                try:
                    msgs = await subscription.fetch(1, timeout=FETCH_WAIT)
                except NatsTimeout:
                    continue
                except Exception as exc:  # noqa: BLE001 - disconnected: try again shortly
                    log.debug("partition %d: fetch failed: %s", partition, exc)
                    await asyncio.sleep(self.config.reconnect_wait)
                    continue
                for msg in msgs:
                    done: asyncio.Future[None] = loop.create_future()
                    await self._ready.put(Delivery(partition, msg, done))
                    await done
        finally:
            try:
                await subscription.unsubscribe()
            except Exception:  # noqa: BLE001 - the connection is gone with it
                pass

    async def _writer(self) -> None:
        while True:
            group = [await self._ready.get()]
            if self._ready.qsize() + 1 < len(self.owned):  # the others' pulls are on the way
                await asyncio.sleep(LINGER)
            while not self._ready.empty() and len(group) < self.max_items:
                group.append(self._ready.get_nowait())
            try:
                outcomes = await self._in_writer(functools.partial(self._write_group, group))
            except Exception as exc:  # noqa: BLE001 - the executor is gone: deliver again
                outcomes = [exc] * len(group)
            for delivery, outcome in zip(group, outcomes, strict=True):
                await self._settle(delivery, outcome)

    async def _settle(self, delivery: Delivery, outcome: str | BaseException) -> None:
        msg = delivery.msg
        try:
            if outcome == "bad":
                await msg.term()
            elif isinstance(outcome, BaseException):
                await msg.nak(delay=RETRY_PAUSE)
            else:
                await msg.ack()
        except Exception as exc:  # noqa: BLE001 - not settled: JetStream delivers it again
            log.warning("partition %d: message not settled: %s", delivery.partition, exc)
        if not delivery.done.done():
            delivery.done.set_result(None)

    # -- in the writer thread ----------------------------------------------------------------

    def _write_group(self, group: list[Delivery]) -> list[str | BaseException]:
        outcomes: dict[int, str | BaseException] = {}
        live: list[Delivery] = []
        for delivery in group:
            try:
                delivery.items = codec.decode(delivery.msg.data, self._devices)
            except codec.BadMessage as exc:
                self.stats.bad_messages += 1
                log.error(
                    "partition %d message %d is not a batch, dropped: %s",
                    delivery.partition,
                    delivery.seq,
                    exc,
                )
                outcomes[id(delivery)] = "bad"
            else:
                live.append(delivery)
        outcomes.update(self._write(live))
        return [outcomes[id(d)] for d in group]

    def _write(self, group: list[Delivery]) -> dict[int, str | BaseException]:
        if not group:
            return {}
        claims = self._claims
        assert claims is not None
        items = [item for d in group for item in d.items]
        claims.pending = [Claim(d.partition, d.seq) for d in group]
        try:
            self.intake.write(items)
        except AlreadyWritten:
            if len(group) > 1:
                return self._each(group)
            self.stats.duplicates += 1
            return {id(group[0]): "duplicate"}
        except (IntegrityError, DataError) as exc:
            if len(group) > 1:
                return self._each(group)
            return {id(group[0]): self._isolate(group[0], exc)}
        except Exception as exc:  # noqa: BLE001 - told per message: delivered again later
            self.stats.failed_writes += 1
            log.error("a write of %d messages failed, they come again: %s", len(group), exc)
            return {id(d): exc for d in group}
        finally:
            claims.pending = None
        self.stats.transactions += 1
        self.stats.messages += len(group)
        self.stats.packets += len(items)
        return {id(d): "written" for d in group}

    def _each(self, group: list[Delivery]) -> dict[int, str | BaseException]:
        outcomes: dict[int, str | BaseException] = {}
        for delivery in group:
            outcomes.update(self._write([delivery]))
        return outcomes

    def _isolate(self, delivery: Delivery, error: Exception) -> str | BaseException:
        """The database refused a message's data: each packet alone, then the claim alone
        (a crash in between archives the packets written alone again; values stay single)."""
        log.warning(
            "partition %d message %d refused by the database (%s); writing each packet alone",
            delivery.partition,
            delivery.seq,
            error,
        )
        claims = self._claims
        assert claims is not None
        for item in delivery.items:
            try:
                self.intake.write([item])
            except (IntegrityError, DataError) as exc:
                self.stats.refused_packets += 1
                log.error(
                    "packet from %s MN=%s refused by the database, not stored: %s; frame %s",
                    item.peer,
                    item.verdict.mn,
                    exc,
                    base64.b64encode(item.frame).decode(),
                )
            except Exception as exc:  # noqa: BLE001 - delivered again later
                return exc
        claims.pending = [Claim(delivery.partition, delivery.seq)]
        try:
            self.box.write(lambda session: None, what="a bus claim")
        except AlreadyWritten:
            return "duplicate"
        except Exception as exc:  # noqa: BLE001 - delivered again later
            return exc
        finally:
            claims.pending = None
        return "written"

    def _forget(self, partitions: set[int]) -> None:
        """Drop detection state of the points of ``partitions`` (written elsewhere)."""
        engine = self.intake.detection
        if engine is None:
            return
        count = self.partitions
        points = {
            device.point_id
            for mn, device in self.intake.directory.items()
            if partition_of(mn, "", count) in partitions
        }
        engine.forget(points)

    def _reload(self) -> None:
        self.intake.reload_directory()

    def _sweep(self) -> None:
        if 0 in self.owned:  # one worker sweeps: the holder of partition 0
            self.intake.sweep()

    async def _every(self, seconds: float, work: Callable[[], None]) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await self._in_writer(work)
            except Exception:
                log.exception("worker %s: periodic %s failed", self.identity, work.__name__)

    async def _in_writer(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)
