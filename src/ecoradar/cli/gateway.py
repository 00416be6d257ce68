"""``ecoradar gateway``: the HJ 212 gateway on its own (``ecoradar serve`` runs it too)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import signal

import typer

from ecoradar.bootstrap import Container
from ecoradar.bus.config import DEFAULT_PARTITIONS, DEFAULT_STREAM, BusConfig
from ecoradar.cli.common import container, err
from ecoradar.hj212.gateway import Gateway, GatewayLimits, prepare_process
from ecoradar.hj212.gateway_limits import (
    DEFAULT_FRAME_DEADLINE,
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_FRAME,
    DEFAULT_MAX_PER_ADDRESS,
)
from ecoradar.monitoring.batcher import DEFAULT_MAX_DELAY, DEFAULT_MAX_ITEMS


def raise_open_file_limit() -> int:
    """Lift the soft limit of open files to the hard one (a descriptor per device)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65_536)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            return target
    return soft


async def run_gateway(
    gateway: Gateway, host: str, port: int, stop: asyncio.Event | None = None
) -> None:
    """Serve until ``stop`` is set (or SIGTERM/SIGINT), then close cleanly."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    await gateway.start(host, port)
    prepare_process()
    try:
        await stop.wait()
    finally:
        await gateway.close()


def build_gateway(
    box: Container,
    *,
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    frame_deadline: float = DEFAULT_FRAME_DEADLINE,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    max_per_address: int = DEFAULT_MAX_PER_ADDRESS,
    max_frame: int = DEFAULT_MAX_FRAME,
    batch_items: int = DEFAULT_MAX_ITEMS,
    batch_delay_ms: float = DEFAULT_MAX_DELAY * 1000,
    writers: int = 1,
    inbox: bool = False,
    bus: BusConfig | None = None,
) -> Gateway:
    limits = GatewayLimits(
        max_frame=max_frame,
        idle_timeout=idle_timeout,
        frame_deadline=frame_deadline,
        max_connections=max_connections,
        max_per_address=max_per_address,
        batch_items=batch_items,
        batch_delay=batch_delay_ms / 1000,
        writers=writers,
        inbox=inbox,
    )
    if bus is None:
        return Gateway(box, limits)
    from ecoradar.bus.publisher import BusPublisher  # NATS's client loads only when used

    return Gateway(box, limits, bus=BusPublisher(bus))


def gateway(
    host: str | None = typer.Option(
        None, help="Address to listen on (ECORADAR_GATEWAY_HOST, default 127.0.0.1)."
    ),
    port: int | None = typer.Option(
        None, min=0, max=65535, help="TCP port (ECORADAR_GATEWAY_PORT, default 9212)."
    ),
    idle_timeout: float = typer.Option(
        DEFAULT_IDLE_TIMEOUT,
        min=0.05,
        help="Seconds without an accepted packet after which a device is let go.",
    ),
    frame_deadline: float = typer.Option(
        DEFAULT_FRAME_DEADLINE,
        min=0.05,
        help="Seconds in which a frame, once begun, must be complete (else the connection "
        "is closed).",
    ),
    max_connections: int = typer.Option(
        DEFAULT_MAX_CONNECTIONS, min=1, help="Devices connected at once; more are turned away."
    ),
    max_per_address: int = typer.Option(
        DEFAULT_MAX_PER_ADDRESS,
        min=1,
        help="Connections from one address (IPv6: one /64) at once; this host is exempt.",
    ),
    max_frame: int = typer.Option(
        DEFAULT_MAX_FRAME,
        min=1024,
        max=9999,
        help="Largest data segment in bytes (HJ 212-2017 says 1024; devices send more).",
    ),
    batch_items: int = typer.Option(
        DEFAULT_MAX_ITEMS, min=1, max=100_000, help="Packets per database transaction at most."
    ),
    batch_delay_ms: float = typer.Option(
        DEFAULT_MAX_DELAY * 1000, min=0, max=1000, help="Milliseconds a packet waits for company."
    ),
    writers: int = typer.Option(
        1,
        min=1,
        max=16,
        help="Writer processes, each storing and judging the devices whose MN falls to it "
        "(default 1; more commit side by side on PostgreSQL, given cores to spare).",
    ),
    inbox: bool = typer.Option(
        False,
        "--inbox",
        help="Answer a batch once it is durable in each writer's inbox file (under "
        "ECORADAR_HOME) and store it in slices a second later: on SQLite, the answers no longer "
        "wait for the database's checkpoints (5,000 packets/s within 50 ms).",
    ),
    bus: str | None = typer.Option(
        None,
        "--bus",
        envvar="ECORADAR_BUS",
        help="Publish batches to NATS JetStream at nats://HOST:4222 (ECORADAR_BUS) for "
        "`ecoradar worker` to store, instead of storing them here.",
    ),
    stream: str = typer.Option(
        DEFAULT_STREAM, envvar="ECORADAR_BUS_STREAM", help="JetStream stream of the batches."
    ),
    partitions: int = typer.Option(
        DEFAULT_PARTITIONS,
        min=1,
        max=1024,
        help="Partitions of the stream when this process makes it (else the stream's own).",
    ),
) -> None:
    """Run the HJ 212 gateway: devices connect over TCP, packets are stored and answered.

    Stop it with Ctrl-C or SIGTERM: what was received is stored and answered first. With
    ``--bus`` a packet is answered once NATS JetStream has stored it, and workers write it.
    """
    if inbox and bus:
        raise typer.BadParameter(
            "--inbox stores here; with --bus the workers store", param_hint="--inbox"
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    raise_open_file_limit()
    with container() as box:
        host = host or box.settings.gateway_host
        port = box.settings.gateway_port if port is None else port
        instance = build_gateway(
            box,
            idle_timeout=idle_timeout,
            frame_deadline=frame_deadline,
            max_connections=max_connections,
            max_per_address=max_per_address,
            max_frame=max_frame,
            batch_items=batch_items,
            batch_delay_ms=batch_delay_ms,
            writers=writers,
            inbox=inbox,
            bus=BusConfig.for_stream(bus, stream, partitions=partitions) if bus else None,
        )
        err.print(
            f"HJ 212 gateway starting on {host}:{port} ({len(instance.intake.directory)} devices)"
        )
        asyncio.run(run_gateway(instance, host, port))
