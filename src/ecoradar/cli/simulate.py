"""``ecoradar simulate``: synthetic traffic for demos and load tests.

``devices`` runs virtual data acquisition units for the registry's monitoring points against an
HJ 212 gateway (see :mod:`ecoradar.simulate.devices`).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta

import typer
from rich.live import Live
from rich.logging import RichHandler
from rich.table import Table

from ecoradar.cli.common import container, err, out, refusals
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError
from ecoradar.simulate.devices_config import (
    ANSWER_TIMEOUT,
    HISTORY_RETENTION,
    RETRIES,
    DeviceOptions,
    DeviceStats,
)
from ecoradar.simulate.devices_fleet import Fleet
from ecoradar.simulate.devices_schedule import SimClock
from ecoradar.simulate.fleet import load_profiles
from ecoradar.simulate.traffic import CN_DAY, CN_HOUR, CN_MINUTE, CN_REALTIME

app = typer.Typer(
    help="Synthetic traffic: simulated HJ 212 devices for demos and load tests.",
    no_args_is_help=True,
)


@app.callback()
def simulate() -> None:
    """Synthetic traffic: simulated HJ 212 devices for demos and load tests."""


_KINDS = {
    CN_REALTIME: "real-time (2011)",
    CN_MINUTE: "minute (2051)",
    CN_HOUR: "hourly (2061)",
    CN_DAY: "daily (2031)",
}


def parse_start(text: str | None, now: datetime) -> datetime:
    """``--start``: ISO 8601; a time without an offset is China Standard Time (UTC+8)."""
    if text is None:
        return now
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"--start {text!r} is not an ISO 8601 date or time") from exc
    return value if value.tzinfo is not None else value.replace(tzinfo=CHINA_TZ)


@app.command("devices")
def devices(
    count: int = typer.Option(
        10, "--count", "-n", min=1, max=100_000, help="How many devices (registry points by MN)."
    ),
    host: str | None = typer.Option(
        None, "--host", help="Gateway host (default: ECORADAR_GATEWAY_HOST, 127.0.0.1)."
    ),
    port: int | None = typer.Option(
        None,
        "--port",
        min=1,
        max=65535,
        help="Gateway port (default: ECORADAR_GATEWAY_PORT, 9212).",
    ),
    speed: float = typer.Option(
        1.0, "--speed", min=0.001, help="Simulated seconds per real second (60: a minute a second)."
    ),
    start: str | None = typer.Option(
        None,
        "--start",
        help=(
            "Simulated clock start, ISO 8601, no offset = UTC+8 (default: now, or with --speed "
            "and --duration as far back as the run replays up to now)."
        ),
    ),
    duration: float | None = typer.Option(
        None, "--duration", min=0.0, help="Stop after this many real seconds (default: at Ctrl-C)."
    ),
    rtd_seconds: float = typer.Option(
        30.0, "--rtd-seconds", min=0.0, help="Real-time data interval (simulated s); 0 for none."
    ),
    minute_seconds: float = typer.Option(
        60.0, "--minute-seconds", min=0.0, help="Minute data interval (simulated s); 0 for none."
    ),
    answers: bool = typer.Option(
        True, "--answers/--no-answers", help="Flag A: wait for a 9014 answer to every upload."
    ),
    timeout: float = typer.Option(
        ANSWER_TIMEOUT, "--timeout", min=0.01, help="Real seconds to wait for an answer."
    ),
    retries: int = typer.Option(RETRIES, "--retries", min=0, max=99, help="Re-sends per upload."),
    drop_every: int | None = typer.Option(
        None, "--drop-every", min=1, help="Fault injection: drop the connection every N uploads."
    ),
    history_days: float = typer.Option(
        HISTORY_RETENTION.days, "--history-days", min=0.0, help="Days of history for recovery."
    ),
    seed: int = typer.Option(1, "--seed", help="Same seed, same values (history included)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log connections and requests."),
) -> None:
    """Run virtual data acquisition units for the registry's monitoring points.

    Each device connects to the gateway and sends real-time, minute, hourly and daily data
    (HJ 212-2017, Flag A) with a diurnal cycle and noise, reconnects after drops with backoff,
    and answers the platform's history recovery (2051/2061/2031), set-time (1012) and get-time
    (1011) requests. The simulated clock never runs ahead of the platform's: ``--speed N``
    replays from ``--start`` N times faster, then goes on at real pace from now. Prints a
    summary at the end; the exit status is 1 when every device gave
    up (refused by the gateway: wrong password or unknown MN).
    """
    with container() as box:
        with box.transaction() as session:
            profiles = load_profiles(session, limit=count)
        host = host or box.settings.gateway_host
        port = port or box.settings.gateway_port
        platform = box.clock
        now = platform.now()
        if start is None and duration is not None and speed > 1:
            begin = now - timedelta(seconds=duration * speed)  # replay up to now
        else:
            begin = parse_start(start, now)
    if not profiles:
        err.print(
            "[red]error:[/] the registry has no monitoring points: run `ecoradar registry import`"
        )
        raise typer.Exit(1)
    if len(profiles) < count:
        err.print(
            f"[yellow]note:[/] the registry has {len(profiles)} monitoring points, not {count}"
        )
    with refusals():
        try:
            options = DeviceOptions(
                host=host,
                port=port,
                rtd_seconds=rtd_seconds,
                minute_seconds=minute_seconds,
                needs_answer=answers,
                answer_timeout=timeout,
                retries=retries,
                drop_every=drop_every,
                seed=seed,
                retention=timedelta(days=history_days),
            )
        except ValueError as exc:
            raise InputError(str(exc)) from exc
    _raise_open_file_limit(len(profiles) + 64)
    # never data from the platform's future: once caught up with now, on at real pace
    fleet = Fleet(profiles, options, SimClock(begin, speed, ceiling=platform))
    out.print(
        f"{len(profiles)} devices -> {host}:{port}, simulated clock from "
        f"{begin.astimezone(CHINA_TZ).isoformat(timespec='seconds')} at x{speed:g}"
    )
    with _logging(verbose):
        try:
            asyncio.run(_run(fleet, duration))
        except KeyboardInterrupt:
            err.print("interrupted")
    out.print(summary(fleet.totals(), len(fleet.devices), len(fleet.given_up)))
    for device in fleet.given_up:
        err.print(f"[red]gave up:[/] {device.mn}: {device.given_up}")
    if len(fleet.given_up) == len(fleet.devices):
        raise typer.Exit(1)


async def _run(fleet: Fleet, duration: float | None) -> None:
    """Run the fleet; Ctrl-C or SIGTERM stop it cleanly (the summary follows)."""
    runner = asyncio.create_task(fleet.run(duration))
    loop = asyncio.get_running_loop()
    with suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGTERM, runner.cancel)
    try:
        if err.is_terminal:
            with Live(console=err, transient=True, refresh_per_second=2) as live:
                while not runner.done():
                    live.update(summary(fleet.totals(), len(fleet.devices), len(fleet.given_up)))
                    await asyncio.wait({runner}, timeout=1.0)
        await runner
    except asyncio.CancelledError:
        runner.cancel()
        with suppress(asyncio.CancelledError):
            await runner
        err.print("stopped")
    finally:
        with suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGTERM)


def summary(stats: DeviceStats, devices: int, given_up: int = 0) -> Table:
    """The counters of a run as a table."""
    table = Table("", "count", title=f"{devices} simulated devices")
    for cn, name in _KINDS.items():
        table.add_row(f"sent {name}", str(stats.sent_by_cn[cn]))
    rows = (
        ("uploads sent", stats.sent),
        ("answered (9014)", stats.answered),
        ("retries", stats.retries),
        ("unanswered after retries", stats.unanswered),
        ("refused (9011)", stats.refused),
        ("connections", stats.connections),
        ("reconnects", stats.reconnects),
        ("failed connection attempts", stats.connect_failures),
        ("recovery requests served", stats.recovery_requests),
        ("uploads recovered", stats.recovered),
        ("set-time requests", stats.time_sets),
        ("devices that gave up", given_up),
    )
    for name, value in rows:
        table.add_row(name, str(value))
    return table


@contextmanager
def _logging(verbose: bool) -> Iterator[None]:
    """Warnings of the simulator (and with ``verbose`` its progress) on stderr."""
    logger = logging.getLogger("ecoradar.simulate")
    handler = RichHandler(console=err, show_path=False)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _raise_open_file_limit(needed: int) -> None:
    """Each device holds a socket: lift the soft limit of open files towards the hard one."""
    with suppress(ImportError, ValueError, OSError):
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY and soft < needed:
            target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            if target < needed:
                err.print(
                    f"[yellow]note:[/] at most {target} open files allowed; some of the "
                    f"{needed - 64} devices may fail to connect"
                )
