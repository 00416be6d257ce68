"""``ecoradar sample-city``: write a synthetic city as files a real user would bring."""

from __future__ import annotations

from pathlib import Path

import typer

from ecoradar.cli.common import out
from ecoradar.simulate.city import write_sample_city


def sample_city(
    directory: Path = typer.Argument(..., help="Directory to write the files into."),
    enterprises: int = typer.Option(500, min=1, max=100_000, help="How many enterprises."),
    seed: int = typer.Option(7, help="Random seed; the same seed gives the same city."),
) -> None:
    """Write regions.geojson, enterprises.csv and points.csv for a synthetic city.

    Load them with `ecoradar regions import` and `ecoradar registry import`.
    """
    directory.mkdir(parents=True, exist_ok=True)
    files = write_sample_city(directory, seed=seed, enterprises=enterprises)
    for path in (files.regions, files.enterprises, files.points):
        out.print(str(path))
