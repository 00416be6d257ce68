"""``ecoradar demo``: the whole discovery mechanism live on one machine (the README's run)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import time
from collections.abc import Callable
from types import FrameType

import typer
import uvicorn
from sqlalchemy import func, select

from ecoradar.bootstrap import Container, bootstrap
from ecoradar.cli.common import EXIT_CONFIG, err, out, refusals
from ecoradar.cli.gateway import raise_open_file_limit
from ecoradar.cli.serve import serve_all, show_demo_accounts
from ecoradar.config import Settings
from ecoradar.core.clock import CHINA_TZ, ScaledClock, SystemClock
from ecoradar.core.writes import WriteBusy
from ecoradar.detection.models import Alert
from ecoradar.hj212.gateway import Gateway
from ecoradar.simulate.demo import DemoState, prepare
from ecoradar.simulate.demo_live import People, fleet, summary
from ecoradar.simulate.load import DemoAccount
from ecoradar.web.app import create_app
from ecoradar.web.proxies import uvicorn_options

log = logging.getLogger("ecoradar.demo")

SUMMARY_EVERY = 10.0
"""Real seconds between two summary lines (and saves of the demo's time)."""
SCHEDULER_EVERY = 5.0
"""Real seconds between the scheduler's passes in a demo (``serve``: 30)."""


def demo(
    speed: float = typer.Option(
        60.0, "--speed", min=1.0, max=10_000.0, help="Simulated seconds per real second."
    ),
    host: str | None = typer.Option(None, "--host", help="Address of the web app."),
    port: int | None = typer.Option(None, "--port", help="Port of the web app (default 8000)."),
    enterprises: int = typer.Option(
        500, "--enterprises", min=4, max=5000, help="Enterprises of a new demo's city."
    ),
    days: int = typer.Option(30, "--days", min=3, max=365, help="Days of history of a new demo."),
    seed: int = typer.Option(1, "--seed", help="Same seed, same city and history."),
) -> None:
    """Run the sample city live: history back-filled, devices streaming over TCP, people
    reporting and handling problems, the scheduler turning time, all on one clock that runs
    SPEED times faster than real time. Stop it with Ctrl-C; started again, it continues."""
    settings = Settings()
    settings = settings.model_copy(
        update={"scheduler_interval": min(settings.scheduler_interval, SCHEDULER_EVERY)}
    )
    if settings.environment != "development":
        err.print(
            "[red]error:[/] the demo makes accounts whose passwords it prints: it runs with "
            f"ECORADAR_ENVIRONMENT=development only, not {settings.environment}"
        )
        raise typer.Exit(EXIT_CONFIG)
    host = host or settings.http_host
    port = port or settings.http_port
    for what, (h, p) in (
        ("web app", (host, port)),
        ("HJ 212 gateway", (settings.gateway_host, settings.gateway_port)),
    ):
        if not _free(h, p):
            err.print(
                f"[red]error:[/] port {p} on {h} for the {what} is in use (another EcoRadar?): "
                "stop that process, or choose another port (--port for the web app, "
                "ECORADAR_GATEWAY_PORT for the gateway)"
            )
            raise typer.Exit(EXIT_CONFIG)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    with refusals():
        err.print(f"demo in {settings.home}: preparing (a new city takes a few minutes)")
        began = time.perf_counter()
        prepared = prepare(
            settings, enterprises=enterprises, days=days, seed=seed, now=SystemClock().now()
        )
    state = prepared.state
    if prepared.made:
        took = time.perf_counter() - began
        err.print(f"city and {state.days} days of history made in {took:.0f} s")
    clock = ScaledClock(state.at, speed)
    # a login lasts its real hours, not hours of the demo's fast clock
    box = bootstrap(settings, clock=clock, session_clock=SystemClock())
    try:
        _run(box, state, host, port, speed, prepared.accounts)
    finally:
        DemoState(state.enterprises, state.days, state.seed, clock.now()).write(settings.home)
        box.close()


def _run(
    box: Container,
    state: DemoState,
    host: str,
    port: int,
    speed: float,
    accounts: list[DemoAccount],
) -> None:
    settings = box.settings
    raise_open_file_limit()
    gateway = Gateway(box)
    app = create_app(box)
    app.state.gateway = gateway
    url = f"http://{host}:{port}/"

    def ready() -> None:
        show_demo_accounts(accounts, url + "login")
        out.print(
            f"EcoRadar demo: open {url} (public report form {url}report); devices connect to "
            f"{settings.gateway_host}:{settings.gateway_port}; time runs {speed:g}x from "
            f"{state.at.astimezone(CHINA_TZ):%Y-%m-%d %H:%M} (China time); Ctrl-C stops, "
            "`ecoradar demo` again continues"
        )

    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", **uvicorn_options(settings.trusted_proxies)
    )
    server = uvicorn.Server(config)
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def interrupt(signum: int, frame: FrameType | None) -> None:
        # uvicorn catches Ctrl-C and SIGTERM while it serves and shuts everything down, then
        # sends the signal again: by then the demo is stopping, and an interrupt in the middle
        # of the gateway's close would leave its writers waiting
        if not server.started:
            raise KeyboardInterrupt

    for sig in previous:
        signal.signal(sig, interrupt)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_live(box, state, gateway, server, ready))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


async def _live(
    box: Container,
    state: DemoState,
    gateway: Gateway,
    server: uvicorn.Server,
    ready: Callable[[], None],
) -> None:
    settings = box.settings
    assert isinstance(box.clock, ScaledClock)
    people = await asyncio.to_thread(People, box, state)
    devices = fleet(box, box.clock, state, settings.gateway_port)
    served = asyncio.create_task(
        serve_all(server, gateway, settings.gateway_host, settings.gateway_port, box)
    )
    while not (gateway.accepting and server.started) and not served.done():
        await asyncio.sleep(0.1)
    ready()  # where to look, once it answers there
    tasks = [
        asyncio.create_task(devices.run()),
        asyncio.create_task(_people(people)),
        asyncio.create_task(_summaries(box, state, gateway, people)),
    ]
    try:
        await served
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _people(people: People) -> None:
    while True:
        try:
            await asyncio.to_thread(people.step)
        except WriteBusy as exc:  # the next step does what this one could not
            log.warning("the demo's people waited: %s", exc)
        except Exception:
            log.exception("the demo's people failed a step; trying again")
        await asyncio.sleep(1.0)


async def _summaries(box: Container, state: DemoState, gateway: Gateway, people: People) -> None:
    before, at = 0, time.monotonic()
    while True:
        await asyncio.sleep(SUMMARY_EVERY)
        now = box.clock.now()
        DemoState(state.enterprises, state.days, state.seed, now).write(box.settings.home)
        frames = gateway.counters.totals["frames"]
        rate = (frames - before) / max(1e-9, time.monotonic() - at)
        before, at = frames, time.monotonic()
        line = await asyncio.to_thread(_line, box, people)
        out.print(f"{now.astimezone(CHINA_TZ):%m-%d %H:%M} · {rate:.0f} packets/s · {line}")


def _line(box: Container, people: People) -> str:
    with box.reading() as session:
        alerts = session.scalar(select(func.count(Alert.id))) or 0
    clues = people.activity.clues
    sent = " ".join(f"{k} {v}" for k, v in sorted(clues.items())) or "none"
    return f"alerts {alerts} · clues {sent} · {summary(box)}"


def _free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True
