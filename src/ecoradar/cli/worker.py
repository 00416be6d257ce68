"""``ecoradar worker --bus nats://HOST:4222``: store and detect on what gateways publish."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import TYPE_CHECKING

import typer

from ecoradar.bootstrap import Container
from ecoradar.bus.config import (
    DEFAULT_ACK_WAIT,
    DEFAULT_PARTITIONS,
    DEFAULT_STREAM,
    WORKER_MAX_ITEMS,
    BusConfig,
)
from ecoradar.cli.common import container, err
from ecoradar.hj212.gateway_process import prepare_process

if TYPE_CHECKING:
    from ecoradar.bus.worker import BusWorker

BUS_HELP = "NATS server with JetStream, nats://HOST:4222 (ECORADAR_BUS)."
STREAM_HELP = "JetStream stream of the batches (ECORADAR_BUS_STREAM)."
PARTITIONS_HELP = "Partitions of the stream when this process makes it (else the stream's own)."


async def run_worker(worker: BusWorker, stop: asyncio.Event | None = None) -> None:
    """Work until ``stop`` is set (or SIGTERM/SIGINT), then leave the group cleanly."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    await worker.start()
    prepare_process()
    await worker.run(stop)


def build_worker(
    box: Container,
    config: BusConfig,
    *,
    detect: bool = True,
    max_items: int = WORKER_MAX_ITEMS,
) -> BusWorker:
    from ecoradar.bus.worker import BusWorker  # NATS's client loads only for this command

    return BusWorker(box, config, detect=detect, max_items=max_items)


def worker(
    bus: str = typer.Option(..., "--bus", envvar="ECORADAR_BUS", help=BUS_HELP),
    stream: str = typer.Option(DEFAULT_STREAM, envvar="ECORADAR_BUS_STREAM", help=STREAM_HELP),
    partitions: int = typer.Option(DEFAULT_PARTITIONS, min=1, max=1024, help=PARTITIONS_HELP),
    ack_wait: float = typer.Option(
        DEFAULT_ACK_WAIT,
        min=1,
        help="Seconds a worker has to commit a message before it goes to another (consumers "
        "made by this process).",
    ),
    max_items: int = typer.Option(
        WORKER_MAX_ITEMS, min=1, max=100_000, help="Packets per database transaction at most."
    ),
    detect: bool = typer.Option(True, "--detect/--no-detect", help="Run detection."),
) -> None:
    """Store and detect on the batches gateways publish to NATS JetStream (``ecoradar gateway
    --bus``). Run one or more, on any machines that reach NATS and the database: they share
    the stream's partitions. Stop with Ctrl-C or SIGTERM: the batch in hand is committed and
    acknowledged first."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    with container() as box:
        config = BusConfig.for_stream(bus, stream, partitions=partitions, ack_wait=ack_wait)
        instance = build_worker(box, config, detect=detect, max_items=max_items)
        err.print(f"worker starting on {config.url}, stream {config.stream}")
        asyncio.run(run_worker(instance))
