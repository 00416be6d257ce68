"""``ecoradar regions``: administrative areas and grids."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ecoradar.cli.common import container, out, progress
from ecoradar.core.errors import NotFoundError
from ecoradar.regions import service

app = typer.Typer(help="Administrative areas and grids.", no_args_is_help=True)


@app.command("import")
def import_(
    file: Path = typer.Argument(..., help="GeoJSON FeatureCollection of Polygons/MultiPolygons."),
) -> None:
    """Import areas and grids from FILE; all or nothing, updates by code.

    Each feature needs the properties code, name, level (province, city, county, township,
    grid) and parent (the parent's code; empty at the top).
    """
    with container() as box, progress() as bar:
        task = bar.add_task(f"reading {file.name}", total=None)
        features = service.read_regions_file(file)
        bar.update(task, description="checking and writing areas", total=len(features))
        with box.transaction() as session:
            summary = service.import_regions(
                session=session, features=features, source=str(file), now=box.clock.now()
            )
        bar.update(task, completed=len(features))
    levels = ", ".join(f"{n} {level}" for level, n in summary.by_level.items())
    out.print(
        f"imported {summary.created + summary.updated} areas ({levels}): "
        f"{summary.created} created, {summary.updated} updated"
    )


@app.command("list")
def list_(level: str | None = typer.Option(None, help="Only this level.")) -> None:
    """List the stored areas."""
    with container() as box, box.transaction() as session:
        table = Table("code", "name", "level", "parent")
        for region in service.list_regions(session=session, level=level):
            table.add_row(
                region.code, region.name, region.level, region.parent.code if region.parent else ""
            )
        out.print(table)


@app.command()
def locate(
    longitude: float = typer.Argument(..., help="WGS84 longitude."),
    latitude: float = typer.Argument(..., help="WGS84 latitude."),
) -> None:
    """Print the smallest area containing a point, and its ancestors."""
    with container() as box, box.transaction() as session:
        index = box.regions.get(session)
        hits = index.containing(longitude, latitude)
        if not hits:
            raise NotFoundError(f"({longitude}, {latitude}) lies outside every region")
        for hit in hits:
            region = service.region_by_code(session=session, code=hit.code)
            out.print(f"{region.level}\t{region.code}\t{region.name}")
