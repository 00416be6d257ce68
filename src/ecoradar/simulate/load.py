"""Load the sample city the way a user would: write its files, then run the importers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ecoradar.bootstrap import Container
from ecoradar.regions import service as regions
from ecoradar.registry import service as registry
from ecoradar.simulate.city import write_sample_city


@dataclass(frozen=True)
class LoadedCity:
    regions: int
    enterprises: int
    points: int


def load_sample_city(box: Container, directory: Path, *, enterprises: int = 500) -> LoadedCity:
    """Write the sample city under ``directory`` and import it into ``box``'s database."""
    files = write_sample_city(directory, enterprises=enterprises)
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
    return LoadedCity(len(features), summary.enterprises_created, summary.points)
