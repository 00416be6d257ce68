"""``ecoradar serve``: the web app and the HJ 212 gateway in one process (and, as it lands, the
scheduler)."""

from __future__ import annotations

import asyncio
import signal
import tempfile
import threading
from pathlib import Path
from types import FrameType

import typer
import uvicorn
from sqlalchemy import func, select

from ecoradar.cli.common import container, err, out
from ecoradar.cli.gateway import raise_open_file_limit
from ecoradar.core import migrate
from ecoradar.hj212.gateway import Gateway, prepare_process
from ecoradar.registry.models import Enterprise
from ecoradar.simulate.load import load_sample_city
from ecoradar.web.app import create_app


async def serve_all(server: uvicorn.Server, gateway: Gateway | None, host: str, port: int) -> None:
    """Run uvicorn and the gateway in this loop; when uvicorn stops, the gateway stops too."""
    if gateway is not None:
        await gateway.start(host, port)
        prepare_process()
    try:
        await server.serve()
    finally:
        if gateway is not None:
            await gateway.close()


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
        gateway = None
        gateway_host, gateway_port = box.settings.gateway_host, box.settings.gateway_port
        if not no_gateway:
            raise_open_file_limit()
            gateway = Gateway(box)
            err.print(f"HJ 212 gateway: devices connect to {gateway_host}:{gateway_port}")
        err.print(f"EcoRadar is running: open http://{host}:{port}/ in your browser")
        app = create_app(box)
        app.state.gateway = gateway  # its live counters, for the web app (None: --no-gateway)
        config = uvicorn.Config(app, host=host, port=port, log_level="info")
        if threading.current_thread() is threading.main_thread():
            # uvicorn re-raises SIGTERM once it has stopped; end through the gateway's close
            signal.signal(signal.SIGTERM, _exit_on_sigterm)
        try:
            asyncio.run(serve_all(uvicorn.Server(config), gateway, gateway_host, gateway_port))
        except KeyboardInterrupt:
            pass
