"""``ecoradar serve``: the web app, the HJ 212 gateway and the scheduler in one process."""

from __future__ import annotations

import asyncio
import logging
import signal
import tempfile
import threading
from pathlib import Path
from types import FrameType

import typer
import uvicorn
from sqlalchemy import func, select

from ecoradar.audit import anchor
from ecoradar.bootstrap import Container
from ecoradar.cli.common import container, err, out
from ecoradar.cli.gateway import raise_open_file_limit
from ecoradar.core import migrate
from ecoradar.core.writes import WriteBusy
from ecoradar.hj212.gateway import Gateway, prepare_process
from ecoradar.power.mqtt import PowerSubscriber
from ecoradar.problems.scheduler import run_once
from ecoradar.registry.models import Enterprise
from ecoradar.simulate.load import DemoAccount, ensure_demo_accounts, load_sample_city
from ecoradar.web.app import create_app
from ecoradar.web.proxies import uvicorn_options

log = logging.getLogger("ecoradar.scheduler")


async def run_scheduler(box: Container) -> None:
    """Every ``ECORADAR_SCHEDULER_INTERVAL`` seconds: alerts into findings, deadlines,
    escalation (in a worker thread, so the loop keeps answering). A failed run is logged and
    the next one tries again."""
    while True:
        try:
            report = await asyncio.to_thread(run_once, box)
            if report.findings_from_alerts or report.newly_overdue or report.escalated:
                log.info("scheduler: %s", report)
        except WriteBusy as exc:  # other writers held the database: the next pass catches up
            log.warning("scheduler run put off: %s", exc)
        except Exception:
            log.exception("scheduler run failed; trying again next interval")
        await asyncio.sleep(box.settings.scheduler_interval)


async def serve_all(
    server: uvicorn.Server,
    gateway: Gateway | None,
    host: str,
    port: int,
    box: Container | None = None,
) -> None:
    """Run uvicorn, the gateway and the scheduler (given ``box``) in this loop; when uvicorn
    stops, the others stop too."""
    if gateway is not None:
        await gateway.start(host, port)
        prepare_process()
    scheduler = asyncio.create_task(run_scheduler(box)) if box is not None else None
    power = None
    if box is not None and box.settings.mqtt_url:
        # power meter readings from the MQTT broker (ecoradar.power.mqtt); off when unset
        power = asyncio.create_task(PowerSubscriber(box).run())
    try:
        await server.serve()
    finally:
        if scheduler is not None:
            scheduler.cancel()
        if power is not None:
            power.cancel()
        if gateway is not None:
            await gateway.close()


def show_demo_accounts(made: list[DemoAccount], url: str) -> None:
    """Print the demo accounts just made, with their passwords: the only time they are shown."""
    if not made:
        out.print(
            "demo accounts: admin, officer, gridworker, enterprise "
            "(`ecoradar users password NAME` sets a new password)"
        )
        return
    out.print(f"demo accounts (development only; passwords shown this once), log in at {url}:")
    for account in made:
        out.print(
            f"  {account.username:<11} {account.role:<12} {account.scope:<20} {account.password}",
            markup=False,
        )


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def serve(
    host: str | None = typer.Option(None, help="Address to listen on (ECORADAR_HTTP_HOST)."),
    port: int | None = typer.Option(None, help="Port (ECORADAR_HTTP_PORT, default 8000)."),
    load_sample: bool = typer.Option(
        False, "--load-sample", help="Migrate, and load the sample city when the registry is empty."
    ),
    no_gateway: bool = typer.Option(
        False,
        "--no-gateway",
        help="Do not run the HJ 212 gateway (ECORADAR_GATEWAY_HOST/PORT) in this process.",
    ),
) -> None:
    """Run the web app under uvicorn, with the HJ 212 gateway in the same event loop."""
    with container(require_schema=not load_sample) as box:
        host = host or box.settings.http_host
        port = port or box.settings.http_port
        if load_sample:
            migrate.upgrade(box.engine)
            with box.transaction() as session:
                empty = not session.scalar(select(func.count(Enterprise.id)))
            if empty:
                with tempfile.TemporaryDirectory() as tmp:
                    city = load_sample_city(box, Path(tmp))
                out.print(
                    f"sample city loaded: {city.enterprises} enterprises, "
                    f"{city.points} monitoring points"
                )
            if box.settings.environment == "development":
                show_demo_accounts(ensure_demo_accounts(box), f"http://{host}:{port}/login")
        err.print(anchor.startup_checkpoint(box), markup=False)  # audit head, outside the DB
        gateway = None
        gateway_host, gateway_port = box.settings.gateway_host, box.settings.gateway_port
        if not no_gateway:
            raise_open_file_limit()
            gateway = Gateway(box)
            err.print(f"HJ 212 gateway: devices connect to {gateway_host}:{gateway_port}")
        if box.settings.mqtt_url:
            err.print(f"power meters: readings from MQTT on {box.settings.power_topic_prefix}/+/+")
        err.print(f"EcoRadar is running: open http://{host}:{port}/ in your browser")
        app = create_app(box)
        app.state.gateway = gateway  # its live counters, for the web app (None: --no-gateway)
        config = uvicorn.Config(
            app, host=host, port=port, log_level="info",
            **uvicorn_options(box.settings.trusted_proxies),  # X-Forwarded-For from these only
        )  # fmt: skip
        if threading.current_thread() is threading.main_thread():
            # uvicorn re-raises SIGTERM once it has stopped; end through the gateway's close
            signal.signal(signal.SIGTERM, _exit_on_sigterm)
        try:
            asyncio.run(serve_all(uvicorn.Server(config), gateway, gateway_host, gateway_port, box))
        except KeyboardInterrupt:
            pass
        finally:
            if box.gate is not None:
                err.print(f"write gate: {box.gate}", markup=False)
