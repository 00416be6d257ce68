"""``ecoradar demo``: the sample city with a month behind it, on one clock.

:func:`prepare` makes the demo's database the first time: the simulated history of
:mod:`ecoradar.simulate.history` (regions, enterprises with monitoring and self-inspection
points, hidden clean, careless and falsifying enterprises, ``days`` days of monitoring data
through the real pipeline with detection, problems found by the public, inspections, alerts
and self-inspection, handled through every state, codes, reminders) played on a fake clock
that ends now (its public reports sent as clues through the clue intake, its last week of the
demo's enterprise left to that enterprise's account); then the sample ambient stations and power
meters, a demo account for every role, and work left to each of them
(:mod:`ecoradar.simulate.demo_work`). Where the demo stands is kept in
``ECORADAR_HOME/demo.json`` (:class:`DemoState`): the simulated time it reached, so a demo
stopped and started again continues from there.

What runs live is in :mod:`ecoradar.simulate.demo_live`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from ecoradar.bootstrap import Container, bootstrap
from ecoradar.config import Settings
from ecoradar.core import migrate
from ecoradar.core.clock import CHINA_TZ, FakeClock
from ecoradar.core.errors import ConfigurationError
from ecoradar.registry.models import Enterprise
from ecoradar.simulate.behaviour import assign
from ecoradar.simulate.demo_work import leave_work
from ecoradar.simulate.history import run_history
from ecoradar.simulate.history_world import HistoryConfig, own_enterprise
from ecoradar.simulate.load import DemoAccount, ensure_demo_accounts
from ecoradar.simulate.sample_stations import load_sample_stations

STATE_FILE = "demo.json"
PEOPLE_DAYS = 7
"""The history's last week of the demo's enterprise is left to the person who logs in as it
(its self-inspection tasks and rectifications): one task at least."""
FILES = "demo-files"
"""Under ``ECORADAR_HOME``: the import files the demo's city was made from."""


@dataclass(frozen=True)
class DemoState:
    """What a demo needs to continue: its size and seed, and the simulated time it reached."""

    enterprises: int
    days: int
    seed: int
    at: datetime

    @classmethod
    def read(cls, home: Path) -> DemoState | None:
        path = home / STATE_FILE
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text())
            return cls(
                int(data["enterprises"]),
                int(data["days"]),
                int(data["seed"]),
                datetime.fromisoformat(data["at"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigurationError(
                f"{path}: not a demo's state ({exc}); remove it and the database to start afresh"
            ) from exc

    def write(self, home: Path) -> None:
        data = {**asdict(self), "at": self.at.isoformat()}
        path = home / STATE_FILE
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=1) + "\n")
        temporary.replace(path)  # never half a file: a demo killed while saving continues

    def config(self) -> HistoryConfig:
        """The history's configuration (the hidden classes and discovery follow its seed)."""
        start = (self.at - timedelta(days=self.days)).astimezone(CHINA_TZ).date()
        return HistoryConfig(
            enterprises=self.enterprises,
            history_days=self.days,
            after_days=0,
            seed=self.seed,
            start=start,
            people_days=PEOPLE_DAYS,
            clue_intake=True,
        )


@dataclass(frozen=True)
class Prepared:
    state: DemoState
    accounts: list[DemoAccount]
    """Demo accounts made now, with their passwords (empty when the demo existed)."""
    made: bool
    """The city and its history were made now."""


def prepare(
    settings: Settings, *, enterprises: int, days: int, seed: int, now: datetime
) -> Prepared:
    """The demo's database in ``settings.home``: made (and migrated) when new, checked and
    migrated when it is a demo's; a database that is not a demo's is refused."""
    home = settings.home
    state = DemoState.read(home)
    clock = FakeClock(state.at if state is not None else now)
    box = bootstrap(settings, clock=clock)
    try:
        migrate.upgrade(box.engine)
        with box.reading() as session:
            registered = session.scalar(select(func.count(Enterprise.id))) or 0
        if state is None and registered:
            raise ConfigurationError(
                f"the database of ECORADAR_HOME={home} holds {registered} enterprises but is not "
                f"a demo's (no {STATE_FILE} beside it): run the demo in another ECORADAR_HOME "
                "(an empty directory), or remove this database to let the demo make its own"
            )
        if state is not None:
            made = ensure_demo_accounts(box, enterprise=demo_enterprise(box, state))
            return Prepared(state, made, False)
        state = DemoState(enterprises, days, seed, now)
        config = state.config()
        run_history(box, clock, home / FILES, config)
        load_sample_stations(box, home / FILES, home / FILES / "regions.geojson")
        state = DemoState(enterprises, days, seed, clock.now())
        accounts = ensure_demo_accounts(box, enterprise=demo_enterprise(box, state))
        leave_work(box)
        state.write(home)
        return Prepared(state, accounts, True)
    finally:
        box.close()


def labels(state: DemoState, codes: list[str]) -> dict[str, str]:
    """Each enterprise's hidden class (clean, careless, falsifier), as the history drew them."""
    config = state.config()
    return assign(sorted(codes), seed=config.seed, mix=config.mix)


def demo_enterprise(box: Container, state: DemoState) -> str | None:
    """The enterprise the demo's enterprise account belongs to: the first careless one, so
    the person who logs in has problems, alerts and tasks to answer (the simulation leaves
    its tasks and rectifications to that person)."""
    with box.reading() as session:
        codes = list(session.scalars(select(Enterprise.code)))
    return own_enterprise(labels(state, codes))
