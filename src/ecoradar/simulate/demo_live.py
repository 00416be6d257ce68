"""What moves in a running demo, all on the demo's one clock (:class:`ScaledClock`).

* The devices: one simulated data acquisition unit per monitoring point over real TCP to the
  gateway (:class:`~ecoradar.simulate.devices_fleet.Fleet`): minute data every 10 minutes and
  hourly data; the careless enterprises' points run above their limit a share of the hours, the
  falsifying enterprises' points send a flatline or values pinned just under the limit on a
  share of the days, and a few devices lose their link for a quarter of a day now and then.
* The power meters (:mod:`ecoradar.simulate.demo_power`): production by day, treatment with it,
  switched off now and then at careless enterprises.
* The people (:class:`People`, stepped about once a real second): the history's officer
  takes up most new problems and carries them through verification, rectification and
  closure, leaving the rest to the demo's officer; enterprises answer their self-inspection
  tasks as their hidden class does (the demo's enterprise account answers its own); the
  hidden violations of the coming months come to light through public reports and
  inspections; the public, grid workers and drones send clues (some twice, some from outside
  the city, which are refused).
* The scheduler of ``ecoradar serve`` turns alerts into findings, deadlines, tasks, codes and
  reminders as the clock moves.
"""

from __future__ import annotations

import logging
import math
import random
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoradar.auth import service as accounts
from ecoradar.auth.models import User
from ecoradar.bootstrap import Container
from ecoradar.clues.catalog import service_codes
from ecoradar.clues.intake import ClueIn, OutsideJurisdiction, Upload, submit_clue
from ecoradar.core.clock import ScaledClock
from ecoradar.core.errors import EcoRadarError
from ecoradar.greencode.models import GreenCode
from ecoradar.problems.models import Problem
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet
from ecoradar.simulate.behaviour import BEHAVIOURS
from ecoradar.simulate.demo import DemoState, demo_enterprise, labels
from ecoradar.simulate.demo_power import PowerFeed
from ecoradar.simulate.devices import VirtualDevice
from ecoradar.simulate.devices_config import DeviceOptions, Fault
from ecoradar.simulate.devices_fleet import Fleet
from ecoradar.simulate.fleet import load_profiles
from ecoradar.simulate.history_acts import Agenda, Handling, make_cast, photo
from ecoradar.simulate.history_clues import required_attributes
from ecoradar.simulate.history_world import World, plan_discovery, plan_tasks, take_up
from ecoradar.simulate.traffic import PointProfile
from ecoradar.simulate.traffic import stable_unit as _unit

log = logging.getLogger("ecoradar.demo")

CLUES_PER_HOUR = 1.5
"""Clues a simulated hour from the public, grid workers and drones together."""
CHANNELS = (("public", 0.6), ("grid_worker", 0.3), ("drone", 0.1))
DUPLICATE_SHARE = 0.15
"""Clues that report again what an earlier clue reported (the dedupe attaches them)."""
OUTSIDE_SHARE = 0.05
"""Clues from outside the city (refused: outside the jurisdiction)."""
HANDLED_SHARE = 0.7
"""New problems the simulated officer takes up; the rest wait for the demo's officer."""
EXCESS_HOURS = 0.08
"""Share of hours a careless enterprise's point runs above its limit."""
FALSIFY_DAYS = (
    BEHAVIOURS["falsifier"].incidents["flatline"]
    + BEHAVIOURS["falsifier"].incidents["near_limit_pinning"]
) / 30
"""Share of days a falsifying enterprise's point sends a flatline or pinned values: as often as
the history's falsifiers do (per 30 days)."""
FLAKY_SHARE = 0.04
"""Devices whose link fails now and then (offline alerts, recovered history)."""
LIVE_DAYS = 90
"""Days ahead whose hidden violations are planned to come to light (reports, inspections)."""


def fleet(box: Container, clock: ScaledClock, state: DemoState, port: int) -> Fleet:
    """One device per enterprise point; careless enterprises' points exceed now and then,
    falsifying enterprises' points (the history's falsifiers) send falsification patterns."""
    with box.reading() as session:
        profiles = load_profiles(session)
        owners = dict(
            session.execute(
                select(MonitoringPoint.mn, Enterprise.code)
                .join(Outlet, MonitoringPoint.outlet_id == Outlet.id)
                .join(Enterprise, Outlet.enterprise_id == Enterprise.id)
            ).all()
        )
    hidden = labels(state, sorted(set(owners.values())))
    careless = {mn for mn, code in owners.items() if hidden.get(code) == "careless"}
    falsifying = {mn for mn, code in owners.items() if hidden.get(code) == "falsifier"}
    profiles = [
        PointProfile(
            p.mn,
            p.password,
            p.medium,
            p.factors,
            excess=EXCESS_HOURS if p.mn in careless else 0.0,
            falsify=FALSIFY_DAYS if p.mn in falsifying else 0.0,
        )
        for p in profiles
    ]
    options = DeviceOptions(
        port=port, rtd_seconds=0.0, minute_seconds=600.0, seed=state.seed, answer_timeout=10.0
    )
    return Fleet(profiles, options, clock, script=_outages, ramp_up=min(10.0, len(profiles) / 50))


def _outages(device: VirtualDevice, n: int, frame: bytes) -> Fault:
    """A few devices lose their link for a quarter of a day now and then (the platform asks
    for what they missed once they are back)."""
    block = int(device.clock.now().timestamp() // (6 * 3600))
    if _unit(device.mn, "flaky") < FLAKY_SHARE and _unit(device.mn, "down", block) < 0.2:
        return Fault.LOSE
    return Fault.SEND


@dataclass
class Activity:
    """What the simulated people did (for the summary line)."""

    clues: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    refused: int = 0
    acts: int = 0


class People:
    """The simulated officer, enterprises and reporters, stepped on the demo's clock."""

    def __init__(self, box: Container, state: DemoState) -> None:
        self.box = box
        self.clock = box.clock
        with box.reading() as session:
            ids = dict(session.execute(select(Enterprise.code, Enterprise.id)).all())
            self.places = {
                eid: (lat, lon)
                for eid, lat, lon in session.execute(
                    select(Enterprise.id, Enterprise.latitude, Enterprise.longitude)
                )
            }
            media = {
                eid: "air" if medium == "gas" else "water"
                for eid, medium in session.execute(
                    select(Outlet.enterprise_id, MonitoringPoint.medium).join(
                        MonitoringPoint, MonitoringPoint.outlet_id == Outlet.id
                    )
                )
            }
        hidden = labels(state, sorted(ids))
        config = state.config()
        config = type(config)(**{**config.__dict__, "after_days": LIVE_DAYS})
        cast = make_cast(box)
        agenda = Agenda(self.clock)
        now = self.clock.now()
        self.world = World(
            box,
            self.clock,
            config,
            now,
            ids,
            {ids[code]: label for code, label in hidden.items()},
            cast,
            agenda,
            Handling(box, cast, agenda),
            media=media,
        )
        own = demo_enterprise(box, state)
        self.reserved = {ids[own]} if own in ids else set()
        """The demo enterprise account's enterprise: its tasks and rectifications are left
        to the person logged in as it."""
        self.world.people = self.reserved
        self.activity = Activity()
        careless = {code for code, label in hidden.items() if label == "careless"}
        self.power = PowerFeed(box, careless)
        # the first metered enterprise switches its treatment off now and then, as careless
        # ones do, so the power rules have something to find
        self.power.careless.update(sorted(m.enterprise for m in self.power.meters)[:1])
        self.rng = random.Random(f"demo:{state.seed}:{now.isoformat()}")
        self.recent: list[tuple[str, float, float]] = []
        self.last = now
        self._workers: dict[tuple[float, float], int | None] = {}
        plan_discovery(self.world, after_t=now)
        take_up(self.world, resume=True, share=HANDLED_SHARE, skip=self.reserved)

    def step(self) -> None:
        """Everything due up to now (called from a worker thread, about once a second)."""
        now = self.clock.now()
        world = self.world
        plan_tasks(world, skip=self.reserved)
        take_up(world, share=HANDLED_SHARE, skip=self.reserved)
        self.activity.acts += world.agenda.run_until(now)
        self.power.step(now)
        hours = max(0.0, (now - self.last).total_seconds() / 3600)
        self.last = now
        for _ in range(_poisson(self.rng, CLUES_PER_HOUR * hours)):
            self._clue(now)

    def _clue(self, now: datetime) -> None:
        rng = self.rng
        channel = rng.choices([c for c, _ in CHANNELS], [w for _, w in CHANNELS])[0]
        if self.recent and rng.random() < DUPLICATE_SHARE:
            category, lat, lon = rng.choice(self.recent)
            lat, lon = lat + rng.uniform(-2e-4, 2e-4), lon + rng.uniform(-2e-4, 2e-4)
            self.activity.duplicates += 1
        else:
            category = rng.choice([c for c in service_codes() if c != "other"])
            lat, lon = rng.choice(list(self.places.values()))
            lat, lon = lat + rng.uniform(-3e-3, 3e-3), lon + rng.uniform(-3e-3, 3e-3)
            self.recent = [*self.recent[-20:], (category, lat, lon)]
        if rng.random() < OUTSIDE_SHARE:
            lat, lon = lat + 2.0, lon + 2.0  # two degrees away: another province
        reporter = None
        if channel == "grid_worker":
            reporter = self._grid_worker(lat, lon)
            if reporter is None:  # not in a grid: the public reports it instead
                channel = "public"
        item = ClueIn(
            channel=channel,
            category=category,
            lat=lat,
            lon=lon,
            description=_TEXTS[category],
            observed_at=now - timedelta(minutes=rng.randint(5, 90)),
            attributes=required_attributes(category),
            photos=(Upload("photo.jpg", photo(rng.randint(1, 50))),) if channel != "public" else (),
            anonymous=reporter is None,
            reporter_user_id=reporter,
            client=f"demo:{rng.randint(1, 400)}",
            data=_DRONE if channel == "drone" else {},
        )
        box = self.box
        try:
            box.write(
                lambda s: submit_clue(
                    session=s,
                    settings=box.settings,
                    index=box.regions.get(s),
                    item=item,
                    now=now,
                    actor=f"system:demo:{channel}",
                ),
                what="a demo clue",
            )
        except OutsideJurisdiction:
            self.activity.refused += 1
        except EcoRadarError as exc:
            log.info("demo clue refused: %s", exc)
            self.activity.refused += 1
        else:
            self.activity.clues[channel] += 1

    def _grid_worker(self, lat: float, lon: float) -> int | None:
        """The simulated grid worker of the grid at the place (made the first time)."""
        box = self.box

        def work(session: Session) -> int | None:
            region = box.regions.get(session).smallest(lon, lat)
            if region is None or region.level != "grid":
                return None
            username = f"sim-grid-{region.code}"
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                user = accounts.create_user(
                    session=session,
                    username=username,
                    role="grid_worker",
                    password=secrets.token_urlsafe(18),
                    now=box.clock.now(),
                    display_name=f"模拟网格员 {region.code}",
                    region=region.code,
                )
            return user.id

        if (lat, lon) not in self._workers:
            self._workers[lat, lon] = box.write(work, what="a demo grid worker")
        return self._workers[lat, lon]


_DRONE = {"platform_id": "UAV-07", "detection_type": "plume", "confidence": 0.9}
_TEXTS = {
    "air": "工厂烟囱冒黑烟，气味刺鼻",
    "water": "河道排口排出浑浊污水，颜色发黑",
    "solid_waste": "路边堆放大量工业固废",
    "hazardous_waste": "有人在空地倾倒油桶，疑似危险废物",
    "noise": "夜间工地施工噪声很大",
    "odour": "附近一直有很重的化工异味",
    "soil": "农田旁土壤被不明液体污染",
    "ecological": "有人在河边非法采砂",
    "other": "发现环境问题",
}


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    limit, count, product = math.exp(-min(mean, 50.0)), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def summary(box: Container) -> str:
    """Problems by state and codes by colour, for the live summary line."""
    with box.reading() as session:
        by_state = select(Problem.state, func.count()).group_by(Problem.state)
        by_colour = select(GreenCode.colour, func.count()).group_by(GreenCode.colour)
        states = dict(session.execute(by_state).all())
        colours = dict(session.execute(by_colour).all())
    problems = " ".join(f"{k} {v}" for k, v in sorted(states.items()))
    codes = " ".join(f"{k} {v}" for k, v in sorted(colours.items()))
    return f"problems: {problems or 'none'}; codes: {codes or 'none'}"
