"""``ecoradar serve``: the web app (and, as they land, the gateway and scheduler)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer
import uvicorn
from sqlalchemy import func, select

from ecoradar.bootstrap import Container
from ecoradar.cli.common import container, err, out
from ecoradar.core import migrate
from ecoradar.regions import service as regions
from ecoradar.registry import service as registry
from ecoradar.registry.models import Enterprise
from ecoradar.simulate.city import write_sample_city
from ecoradar.web.app import create_app


def load_sample_city(box: Container, directory: Path) -> None:
    """Write the sample city's files and import them, exactly as a user would."""
    files = write_sample_city(directory)
    features = regions.read_regions_file(files.regions)
    with box.transaction() as session:
        regions.import_regions(
            session=session, features=features, source=str(files.regions), now=box.clock.now()
        )
    with box.transaction() as session:
        summary = registry.import_registry(
            session=session,
            enterprises=files.enterprises,
            points=files.points,
            regions=box.regions,
            now=box.clock.now(),
        )
    out.print(
        f"sample city loaded: {summary.enterprises_created} enterprises, "
        f"{summary.points} monitoring points"
    )


def serve(
    host: str | None = typer.Option(None, help="Address to listen on (ECORADAR_HTTP_HOST)."),
    port: int | None = typer.Option(None, help="Port (ECORADAR_HTTP_PORT, default 8000)."),
    load_sample: bool = typer.Option(
        False, "--load-sample", help="Migrate, and load the sample city when the registry is empty."
    ),
) -> None:
    """Run the web app under uvicorn."""
    with container() as box:
        host = host or box.settings.http_host
        port = port or box.settings.http_port
        if load_sample:
            migrate.upgrade(box.engine)
            with box.transaction() as session:
                empty = not session.scalar(select(func.count(Enterprise.id)))
            if empty:
                with tempfile.TemporaryDirectory() as tmp:
                    load_sample_city(box, Path(tmp))
        err.print(f"EcoRadar is running: open http://{host}:{port}/ in your browser")
        uvicorn.run(create_app(box), host=host, port=port, log_level="info")
